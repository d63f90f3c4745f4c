#!/usr/bin/env bash
# pip-audit over the locked dependencies (requirements.lock, requirements-dev.lock): fails on
# any known vulnerability. pip-audit asks a vulnerability service (PyPI's per-release JSON,
# or OSV) about each pinned release; where neither answers, it could audit nothing, so this
# prints why and runs the check that can be made (scripts/lock_audit.py; docs/reliability.md,
# "Dependency audit"), which fails only on a yanked or known-vulnerable pin.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT_VERSION=2.10.1
venv=${PIP_AUDIT_VENV:-/tmp/claimline-pip-audit}

# Probe the release the lock pins for a package every lock holds.
pinned=$(sed -n 's/^uvicorn==\([^ ]*\).*/\1/p' requirements.lock)
pypi=$(curl -s -o /dev/null -m 20 -w '%{http_code}' "https://pypi.org/pypi/uvicorn/$pinned/json" || true)
osv=$(curl -s -o /dev/null -m 20 -w '%{http_code}' -X POST https://api.osv.dev/v1/query \
    -d "{\"package\": {\"name\": \"uvicorn\", \"ecosystem\": \"PyPI\"}, \"version\": \"$pinned\"}" || true)
if [ "$pypi" = 200 ]; then
    service=pypi
elif [ "$osv" = 200 ]; then
    service=osv
else
    echo "pip-audit SKIPPED: no vulnerability service reachable from here (PyPI's release JSON" \
        "https://pypi.org/pypi/uvicorn/$pinned/json answered ${pypi:-nothing}, OSV's API" \
        "answered ${osv:-nothing}); see docs/reliability.md, \"Dependency audit\""
    project=$(curl -s -o /dev/null -m 20 -w '%{http_code}' https://pypi.org/pypi/uvicorn/json || true)
    if [ "$project" != 200 ]; then
        echo "lock audit SKIPPED too: PyPI's project JSON answered ${project:-nothing}"
        exit 0
    fi
    echo "instead: the pins against PyPI's project JSON (scripts/lock_audit.py)"
    exec python3 scripts/lock_audit.py requirements.lock requirements-dev.lock
fi

if [ ! -x "$venv/bin/pip-audit" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "pip-audit==$PIP_AUDIT_VERSION"
fi
for lock in requirements.lock requirements-dev.lock; do
    echo "pip-audit ($service) over $lock"
    # The pins as they are, hashes and all: nothing is installed or resolved again.
    "$venv/bin/pip-audit" --vulnerability-service "$service" --requirement "$lock" \
        --require-hashes --disable-pip --progress-spinner off --strict
done

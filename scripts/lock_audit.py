"""What can be audited of a lock file when pip-audit's services cannot be reached: PyPI's
project JSON (https://pypi.org/pypi/NAME/json) still answers, and lists the known
vulnerabilities of the project's latest release and whether each release was yanked.

For each pin: fails if the pinned release is yanked, or is the latest release and PyPI lists
a vulnerability for it; otherwise reports how far behind the latest release it is (an older
pin is not audited: say so, rather than pass it silently).

    python3 scripts/lock_audit.py requirements.lock [requirements-dev.lock ...]
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", re.MULTILINE)


def project(name: str) -> dict[str, object]:
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:
        data: dict[str, object] = json.load(response)
    return data


def audit(locks: list[str]) -> int:
    pins = sorted(
        {(m[1].lower(), m[2]) for lock in locks for m in PIN.finditer(Path(lock).read_text())}
    )
    problems, behind, current = [], [], 0
    for name, version in pins:
        data = project(name)
        latest = str(data["info"]["version"])  # type: ignore[index]
        files = data["releases"].get(version, [])  # type: ignore[attr-defined]
        if files and all(f.get("yanked") for f in files):
            problems.append(f"{name}=={version} is yanked: {files[0].get('yanked_reason')}")
        if version == latest:
            current += 1
            for vuln in data.get("vulnerabilities") or []:  # type: ignore[union-attr]
                problems.append(f"{name}=={version}: {vuln.get('id')} {vuln.get('summary', '')}")
        else:
            behind.append(f"{name} {version} (latest {latest})")
    print(
        f"{len(pins)} pins: {current} at their latest release, audited against PyPI's list; "
        f"{len(behind)} behind, not audited: {', '.join(behind) or 'none'}"
    )
    for problem in problems:
        print(f"VULNERABLE OR YANKED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(audit(sys.argv[1:]))

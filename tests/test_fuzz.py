"""Schemathesis fuzzes every operation of the served OpenAPI document against a real server,
on SQLite and on PostgreSQL: every check but one (no 5xx, only documented status codes, headers and
media types, responses that match their schemas, schema-violating requests refused), in
every phase: the document's examples, its coverage of edge values, random fuzzing, and the
stateful phase that follows the links schemathesis infers between operations (the document
declares none: an event's id from /events to /events/{event_id}, and so on).

Seeded and without an example database, so a run is the same each time and a failure
reproduces with the command in its message.

Left out: positive_data_acceptance. Values the schema allows but the data does not hold (an
unknown actor, a forged cursor) are refused with a 422 on purpose, which it calls a failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

# 200 examples an operation: about 2.5 minutes for both databases on 2 busy cores.
MAX_EXAMPLES = 200
SEED = 20241023
CONFIG = Path(__file__).with_name("schemathesis.toml")
pytestmark = pytest.mark.slow


def test_schemathesis_finds_nothing(server: str, loaded_url: str, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [str(schemathesis), "--config-file", str(CONFIG), "run", f"{server}/openapi.json",
         "--checks", "all", "--exclude-checks", "positive_data_acceptance", "--phases", "examples,coverage,fuzzing,stateful",
         "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
         "--generation-database", "none", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    backend = make_url(loaded_url).get_backend_name()
    assert result.returncode == 0, backend + result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
    # Every phase ran, the stateful one over inferred links included.
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in result.stdout, phase

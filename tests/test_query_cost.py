"""A listing runs a fixed number of SQL statements, whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import recorded_statements


@pytest.fixture(scope="module")
def counted(loaded_url: str) -> Iterator[tuple[TestClient, list[str]]]:
    # A long TTL keeps the data-version read out of the counted requests.
    with TestClient(create_app(loaded_url, meta_ttl=3600)) as client:
        client.get("/events", params={"limit": 1})
        with recorded_statements(client.app.state.claimline.engine) as statements:  # type: ignore[attr-defined]
            yield client, statements


@pytest.mark.parametrize("path", ["/events", "/timeline", "/claims"])
def test_statement_count_does_not_grow_with_page_size(
    counted: tuple[TestClient, list[str]], path: str
) -> None:
    client, statements = counted
    counts = {}
    for limit in (1, 5, 50, 500):
        statements.clear()
        response = client.get(path, params={"limit": limit, "claimant": "KOR"})
        assert response.status_code == 200
        counts[limit] = len(statements)
    assert len(set(counts.values())) == 1, counts
    assert counts[500] <= 8, counts


# Each answered on the actor_events row the actor's scan reads, with no probe of the claims:
# known_as_of by known_first, a hedge by hedge_mask.
@pytest.mark.parametrize(
    ("param", "column"),
    [({"known_as_of": "2024-10-23"}, "known_first"), ({"hedge": "estimated"}, "hedge_mask")],
)
def test_a_claim_question_with_an_actor_reads_no_claims_to_pick_the_page(
    counted: tuple[TestClient, list[str]], param: dict[str, str], column: str
) -> None:
    client, statements = counted
    statements.clear()
    params = {"actor": "DPRK", "from": "2024-10", "to": "2024-12", **param}
    response = client.get("/events", params=params)
    assert response.status_code == 200 and response.json()["data"]
    scans = [s for s in statements if "actor_events" in s]
    assert scans, statements
    assert all(column in s and "claims" not in s for s in scans), scans

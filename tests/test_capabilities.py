"""Every fast path answers exactly as the general path: every filter alone and in pairs, on
every listing endpoint and on /events/facets, on the seeds and on generated data, on both
databases. The general path (`create_app(fast_paths=False)`) is the oracle; the filters
come from TimelineFilter's own fields, so a filter added later is enumerated here too."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from inspect import signature
from typing import Any, get_type_hints

import pytest
from fastapi.testclient import TestClient

from app import dataset_meta, facets, migrate, queries, rendered_pages
from app.api.deps import PARAM_FIELDS, Session, filter_arguments, timeline_filter
from app.api.fast_events import PARAMS as FAST_ROUTE_PARAMS
from app.db import make_engine
from app.filters import Capability, TimelineFilter, filter_names
from app.main import create_app
from app.models import actors_table

ENDPOINTS = ["/events", "/timeline", "/claims", "/events/facets"]

# Two values per query parameter, each selecting something on the seeds; the generated
# data's differ where its names do (`GENERATED`).
SEEDS: dict[str, list[str]] = {
    "actor": ["DPRK", "rus"],
    "claimant": ["KOR", "ukr"],
    "via": ["AFP", "yonhap"],
    "source": ["NIS", "usa"],
    "from": ["2024-10", "2024-11-01"],
    "to": ["2024-12", "2025-02"],
    "date_match": ["within", "overlap"],
    "type": ["deployment", "casualties"],
    "document": ["000_d40e8277d782d5f4", "002_dc97aa6148c96c29"],
    "hedge": ["reported", "estimated"],
    "known_as_of": ["2024-10-25", "2024-12-31"],
    "q": ["soldats", "Koursk"],
    "location": ["Kursk", "Russia"],
    "context": ["exclude", "only"],
    # Every record is stamped at its load: before it selects all, after it none (which a
    # fast path that ignored the filter would not answer).
    "updated_since": ["1999-12-31T23:00:00.5-01:00", "2999-01-01"],
    "order": ["desc", "asc"],
    "min_claimants": ["2", "3"],
    "contested": ["false", "true"],
}
GENERATED: dict[str, list[str]] = {
    **SEEDS,
    "actor": ["dprk", "kor-intel"],
    "claimant": ["kor", "ukr-army"],
    "via": ["afp", "reuters"],
    "source": ["usa", "tass"],
    "from": ["2024-06", "2023-01-01"],
    "to": ["2024-06-30", "2025"],
    "type": ["combat", "statement"],
    "document": ["doc-0-0000001", "doc-1-0000002"],
    "known_as_of": ["2024-06-15", "2023-06-30"],
    "q": ["casualties", "soldiers"],
    "location": ["Kursk Oblast", "russia"],
}

CAPABILITIES: list[Capability] = [
    rendered_pages.PAGE, rendered_pages.STORED_BODIES, rendered_pages.PATCHED_BODIES,
    queries.CLAIMANT_PAGE, queries.ACTOR_PAGE, queries.CLAIMANT_EVENTS,
    facets.BY_DAY, facets.BY_PAIR, facets.LISTED, facets.ACTOR_RANGES, facets.ANCESTORS,
]  # fmt: skip


def test_the_parameters_cover_every_filter() -> None:
    """One table maps query parameters to filter fields: every field has a parameter, every
    listing parameter a field, and the samples here cover them all."""
    assert set(PARAM_FIELDS.values()) == filter_names()
    hints = get_type_hints(timeline_filter, include_extras=True)
    queries_ = {name: hints[name].__metadata__[0] for name in signature(timeline_filter).parameters}
    assert {query.alias or name for name, query in queries_.items()} == set(PARAM_FIELDS)
    assert set(SEEDS) == set(GENERATED) == set(PARAM_FIELDS)
    # The fast route takes the parameters of the filters its statement serves, no others.
    served = {p for p, name in PARAM_FIELDS.items() if name in rendered_pages.PAGE.serves}
    assert served | {"limit", "cursor"} == FAST_ROUTE_PARAMS


def test_active_filters_come_from_the_fields() -> None:
    assert TimelineFilter().active() == frozenset()
    everything = TimelineFilter(
        actors=(object(),), claimants=(object(),), via=(object(),), sources=(object(),),  # type: ignore[arg-type]
        date_from=1, date_to=1, within=True, types=("x",), documents=("x",), hedges=("x",),  # type: ignore[arg-type]
        known_as_of=1, search=("x",), locations=(" x ",), context="only", updated_since=1, descending=True,  # type: ignore[arg-type]
        min_claimants=1, contested="false", spans=(), fresh=True, fast=True,
    )  # fmt: skip
    assert everything.active() == filter_names()
    # A capability that serves everything still needs the tables fresh and fast paths on.
    f = TimelineFilter(spans=(), fresh=False, fast=True)
    assert not facets.ANCESTORS.applies(f)
    assert facets.ANCESTORS.applies(TimelineFilter(spans=(), fresh=True, fast=True))
    assert not facets.ANCESTORS.applies(TimelineFilter(spans=(), fresh=True, fast=False))
    # With no events there are no spans, and the scans per precision would be none.
    one_actor = TimelineFilter(actors=(object(),), fresh=True, fast=True)  # type: ignore[arg-type]
    for capability in (queries.ACTOR_PAGE, facets.LISTED, facets.ACTOR_RANGES):
        assert not capability.applies(replace(one_actor, spans=()))
        assert capability.applies(replace(one_actor, spans=(("day", 1),)))
    with pytest.raises(ValueError, match="unknown filters"):
        Capability("typo", frozenset({"actor"}))


def _requests(samples: dict[str, list[str]]) -> list[list[tuple[str, str]]]:
    """Every parameter alone (each value) and every pair (values rotating)."""
    out: list[list[tuple[str, str]]] = [[(p, v)] for p, values in samples.items() for v in values]
    for i, (a, b) in enumerate(itertools.combinations(sorted(samples), 2)):
        out.append([(a, samples[a][i % 2]), (b, samples[b][(i // 2) % 2])])
    return out


def _answers(client: TestClient, path: str, params: list[tuple[str, str]]) -> list[Any]:
    """Status and body of the first pages (small pages, so cursors are crossed)."""
    if path != "/events/facets":
        params = [*params, ("limit", "7")]
    out = []
    for _ in range(3):
        response = client.get(path, params=params)
        out.append((response.status_code, response.content))
        if response.status_code != 200 or "link" not in response.headers:
            return out
        params = [(k, v) for k, v in params if k != "cursor"]
        params.append(("cursor", response.json()["next_cursor"]))
    return out


def _compare(url: str, samples: dict[str, list[str]]) -> dict[str, int]:
    """Compare every request both ways; count the requests each capability served."""
    served = dict.fromkeys((c.name for c in CAPABILITIES), 0)
    with (
        TestClient(create_app(url)) as fast,
        TestClient(create_app(url, fast_paths=False)) as general,
    ):
        nonempty = 0
        for params in _requests(samples):
            for path in ENDPOINTS:
                expected = _answers(general, path, params)
                assert _answers(fast, path, params) == expected, (path, params)
                assert expected[0][0] == 200, (path, params, expected[0])
                nonempty += (
                    b'"data":[]' not in expected[0][1] and b'"total":0' not in expected[0][1]
                )
        assert nonempty > len(_requests(samples)) * 2  # most requests select something
        # Which capabilities these requests exercised, by the general filter they resolve to.
        state = fast.app.state.claimline  # type: ignore[attr-defined]
        with state.engine.connect() as conn:
            meta = state.meta.get(conn)
            session = Session(conn, meta, state.catalog(conn, meta), state)
            for params in _requests(samples):
                f = timeline_filter(**filter_arguments(dict(params))).resolve(session)
                for capability in CAPABILITIES:
                    served[capability.name] += capability.applies(f)
    return served


def test_every_path_answers_as_the_general_path_on_the_seeds(loaded_url: str) -> None:
    served = _compare(loaded_url, SEEDS)
    # Each fast path was tried by some of these requests, or the comparison proves nothing.
    assert all(served.values()), served


@pytest.mark.slow
def test_every_path_answers_as_the_general_path_on_generated_data(generated_url: str) -> None:
    served = _compare(generated_url, GENERATED)
    assert all(served.values()), served


def test_actors_without_any_event_give_empty_answers(sqlite_url: str) -> None:
    """A database with actors but no events has no date spans: the scans per precision
    would be none, and a page or a count must still be empty, not an error."""
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        now = datetime.now(UTC)
        conn.execute(
            actors_table.insert().values(
                id="x", name="X", kind="state", created_at=now, updated_at=now
            )
        )
        dataset_meta.write(conn, {}, 0)
        dataset_meta.mark_derived(conn)
    engine.dispose()
    with TestClient(create_app(sqlite_url)) as client:
        for query in ("actor=x", "actor=x&hedge=reported", "actor=x&from=2024-01-01",
                      "from=2024-01-01&hedge=reported"):  # fmt: skip
            response = client.get(f"/events?{query}")
            assert (response.status_code, response.json()["data"]) == (200, []), query
        facets_ = client.get("/events/facets", params={"actor": "x"})
        assert (facets_.status_code, facets_.json()["total"]) == (200, 0)

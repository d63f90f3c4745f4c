"""Statements kept per filter shape (app/binds.py): a statement built for one request and
run with another's values gives what one built for that other request gives."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, Engine, select, tuple_

from app import binds, dataset_meta, queries, rendered_pages
from app.actor_index import ActorIndex
from app.filters import TimelineFilter
from app.models import claims_table as C
from app.models import events_table as E
from app.search import phrase_key
from app.vocab import EventType, Hedge

ACTORS = ["rus", "usa", "ukr", "dprk", "kor-army", "fra-leader"]
OUTLETS = ["afp", "reuters", "tass", "yonhap"]


def _filters(conn: Connection, n: int) -> list[TimelineFilter]:
    """n filters over every filter the general path takes, drawn from the data, several of
    each shape; paged ones start after a real event."""
    rng = random.Random(7)
    index = ActorIndex.load(conn)
    meta = dataset_meta.read(conn)
    assert meta.spans is not None
    spans = tuple(sorted(meta.spans.items()))
    documents = list(conn.execute(select(C.c.document_id).distinct()).scalars())
    events = conn.execute(select(E.c.date_earliest, E.c.id, E.c.location_key)).all()
    places = [r.location_key for r in events if r.location_key and r.location_key.strip()]

    def some(kind: str) -> dict[str, Any]:
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
        window = {"date_from": start, "date_to": start + timedelta(days=rng.choice([0, 30, 91]))}
        actor = (index.resolve(rng.choice(ACTORS)),)
        outlet = (index.resolve(rng.choice(OUTLETS)),)
        return {
            "actor": {"actors": actor, **window},
            "actor_within": {"actors": actor, **window, "within": True},
            "claimant": {"claimants": actor, **window},
            "type_claimant": {
                "types": (rng.choice(list(EventType)).value,),
                "claimants": actor,
                **window,
            },
            "hedge_claimant": {
                "hedges": (rng.choice(list(Hedge)).value,),
                "claimants": actor,
                "date_from": window["date_from"],
            },
            "via": {"via": outlet, "date_from": window["date_from"]},
            "source": {"sources": rng.choice([actor, outlet]), "date_to": window["date_to"]},
            "type_actor": {"types": (rng.choice(list(EventType)).value,), "actors": actor},
            "hedge_actor": {"hedges": (rng.choice(list(Hedge)).value,), "actors": actor, **window},
            "document": {"documents": (rng.choice(documents),)},
            "location": {"locations": (phrase_key(rng.choice(places).split()[0]),), **window},
            "known": {"known_as_of": window["date_to"], "actors": actor, **window},
            "two_actors": {"actors": (*actor, index.resolve(rng.choice(ACTORS))), **window},
            "dates": window,
        }[kind]

    kinds = ["actor", "actor_within", "claimant", "type_claimant", "hedge_claimant", "via",
             "source", "type_actor", "hedge_actor", "document", "location", "known",
             "two_actors", "dates"]  # fmt: skip
    out = []
    for i in range(n):
        f = TimelineFilter(spans=spans, fresh=True, fast=True, **some(kinds[i % len(kinds)]))
        out.append(f if i % 3 else replace(f, fast=False))
    return out


def _pages(conn: Connection, fs: list[TimelineFilter]) -> list[list[str]]:
    """Each filter's first page and the page after its fifth event, as event ids."""
    out = []
    for f in fs:
        first = queries.page_events(conn, f, 10, None)
        out.append([r.id for r in first])
        if len(first) > 5:
            after = queries.event_sort_key(first[4])
            out.append([r.id for r in queries.page_events(conn, f, 10, after)])
    return out


def test_a_kept_statement_runs_with_another_requests_values(
    generated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with generated_engine.connect() as conn:
        fs = _filters(conn, 140)
        shared = binds.Statements()
        monkeypatch.setattr(binds, "STATEMENTS", shared)
        kept = _pages(conn, fs)
        # Each request with a statement of its own.
        alone = []
        for f in fs:
            monkeypatch.setattr(binds, "STATEMENTS", binds.Statements())
            alone += _pages(conn, [f])
    assert kept == alone
    assert sum(map(bool, kept)) > len(kept) * 3 // 4  # the pages are not mostly empty
    assert len(shared._kept) < len(fs) // 2  # statements were reused


def test_every_value_is_a_named_parameter(generated_engine: Engine) -> None:
    """A value a statement held as an anonymous literal would stay the first request's in
    every later request of its shape: every value a page statement compares with is one of
    the request's named values, and has its value."""
    with generated_engine.connect() as conn:
        fs = _filters(conn, 42)
    for f in fs:
        v = binds.values_of(f).paged(10, (date(2024, 1, 1), "ev-1"))
        builders = [queries._page, queries._actor_page] if len(f.actors) == 1 else [queries._page]
        for build in builders:
            for dialect in ("sqlite", "postgresql"):
                params = build(f, v, dialect).compile().params
                assert params == {name: v.values[name] for name in params}, f
        assert len(params) >= 2


def test_patched_bodies_keep_each_requests_claims(generated_engine: Engine) -> None:
    """The patched bodies' claim statement is kept per shape too: two claimants in turn
    each get their own `matched` flags."""
    with generated_engine.connect() as conn:
        index = ActorIndex.load(conn)
        meta = dataset_meta.read(conn)
        assert meta.spans is not None
        spans = tuple(sorted(meta.spans.items()))
        matched = []
        for actor in ("rus", "usa"):
            f = TimelineFilter(
                claimants=(index.resolve(actor),), spans=spans, fresh=True, fast=True
            )
            rows = queries.page_events(conn, replace(f, fast=False), 20, None)
            bodies = rendered_pages.stored_bodies(conn, f, rows)
            assert bodies is not None and bodies
            matched.append(bodies)
        for bodies, actor in zip(matched, ("rus", "usa"), strict=True):
            includes = set(index.resolve(actor).includes)
            for body in bodies:
                for claim in orjson.loads(body)["claims"]:
                    assert claim["matched"] == (claim["claimant"]["id"] in includes)


def test_merged_scans_give_the_plain_querys_rows(generated_engine: Engine) -> None:
    """The per-precision scans merged (and one actor's, read from actor_events) give the
    rows of one plain ordered query over the same conditions, first pages and later ones."""
    with generated_engine.connect() as conn:
        for f in _filters(conn, 56):
            plain = (
                select(E.c.id)
                .where(*queries.event_conditions(f))
                .order_by(E.c.date_earliest, E.c.id)
            )
            expected = list(conn.execute(plain.limit(11)).scalars())
            first = queries.page_events(conn, f, 10, None)
            assert [r.id for r in first] == expected, f
            if len(first) > 5:
                after = queries.event_sort_key(first[4])
                later = plain.where(tuple_(E.c.date_earliest, E.c.id) > tuple_(*after))
                got = [r.id for r in queries.page_events(conn, f, 10, after)]
                assert got == list(conn.execute(later.limit(11)).scalars()), f

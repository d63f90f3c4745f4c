"""Every claimed figure of a quantity, with its claimant and the day it became known: what
the page's chart draws (app/ui/) and what `GET /figures` lists (app/api/routes/figures.py).

A figure matches as its claim would on /claims: the claim passes the claim filters and
`known_as_of`, its event the event filters. One statement, ordered by the day the figure
became known, so a chart reads left to right as the story unfolded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, tuple_

from app import queries
from app.filters import TimelineFilter
from app.models import claims_table as C
from app.models import documents_table as D
from app.models import events_table as E
from app.models import figures_table as F


def _conditions(f: TimelineFilter) -> list[Any]:
    return [
        queries.known_condition(f),
        *queries.claim_conditions(f),
        *queries.event_only_conditions(f),
    ]


def claimed_figures(conn: Connection, f: TimelineFilter, quantity: str) -> Sequence[Any]:
    """The figures of `quantity` whose claims match `f`: the figure's columns, its claim's
    claimant, document (and its language), quote, stance, hedge and `known_from`, and its
    event's id and title."""
    stmt = (
        select(
            F.c.claim_id, F.c.position, F.c.quantity, F.c.low, F.c.high, F.c.qualifier,
            F.c.unit, F.c.text, C.c.claimant_id, C.c.document_id, C.c.known_from,
            C.c.claimed_edtf, C.c.stance, C.c.hedge, C.c.quote,
            E.c.id.label("event_id"), E.c.title.label("event_title"), D.c.language,
        )
        .join(C, C.c.id == F.c.claim_id)
        .join(E, E.c.id == C.c.event_id)
        .join(D, D.c.id == C.c.document_id)
        .where(F.c.quantity == quantity, *_conditions(f))
        .order_by(C.c.known_from, F.c.claim_id, F.c.position)
    )  # fmt: skip
    return conn.execute(stmt).all()


def figure_quantities(conn: Connection, f: TimelineFilter) -> dict[str, int]:
    """How many figures of each quantity match `f`, by quantity name."""
    stmt = (
        select(F.c.quantity, func.count().label("n"))
        .join(C, C.c.id == F.c.claim_id)
        .join(E, E.c.id == C.c.event_id)
        .where(*_conditions(f))
        .group_by(F.c.quantity)
        .order_by(F.c.quantity)
    )
    return {row.quantity: row.n for row in conn.execute(stmt)}


def page_figures(
    conn: Connection,
    f: TimelineFilter,
    quantities: Sequence[str],
    limit: int,
    after: tuple[date, str, int] | None,
) -> Sequence[Any]:
    """Up to limit + 1 figures (of `quantities`, or any) whose claims match `f`, in the order
    they became known, then by claim id and position: each row is its claim's row as
    /claims has it (queries.page_claims's columns) with the figure's as `figure_*`. `after`
    is the (known_from, claim id, position) of the last figure of the previous page. With
    `f.descending`, the newest known first: the same keys, each reversed."""
    conds = _conditions(f)
    if quantities:
        conds.append(F.c.quantity.in_(list(quantities)))
    if after is not None:
        key = tuple_(C.c.known_from, C.c.id, F.c.position)
        conds.append(queries.beyond(f.descending, key, tuple_(*after)))
    stmt = (
        select(
            *queries.claim_row_columns(),
            *[F.c[name].label(f"figure_{name}") for name in _FIGURE_COLUMNS],
        )
        .join(C, C.c.id == F.c.claim_id)
        .join(E, E.c.id == C.c.event_id)
        .where(*conds)
        .order_by(*queries.ordered(f.descending, C.c.known_from, C.c.id, F.c.position))
        .limit(limit + 1)
    )
    return conn.execute(stmt).all()


_FIGURE_COLUMNS = ("position", "quantity", "low", "high", "qualifier", "unit", "text")

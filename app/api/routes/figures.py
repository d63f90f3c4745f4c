"""/figures and /figures/quantities: every claimed figure, for charting how claimants'
numbers differ, with the same filters as /events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app import figures, schemas
from app.api.deps import (
    FILTER_PARAMS,
    PAGE_PARAMS,
    CursorParam,
    FilterDep,
    LimitParam,
    decode,
    only_params,
    open_session,
)
from app.api.listing import LINK_HEADER, Listing, echo
from app.api.problems import PROBLEM_RESPONSES, invalid_parameter
from app.api.responses import json_response
from app.assemble import build_figure_rows
from app.vocab import Quantity

router = APIRouter(tags=["figures"])

QuantityParam = Annotated[
    list[Quantity], Query(description="What the figures count; several values: any of them")
]


@dataclass
class FiguresListing(Listing):
    quantities: tuple[str, ...] = ()


def _after(cursor: tuple[date, str] | None) -> tuple[date, str, int] | None:
    """The (known_from, claim id, position) a figures cursor holds as (day, 'position:id')."""
    if cursor is None:
        return None
    position, sep, claim_id = cursor[1].partition(":")
    if not sep or not position.isdigit() or not claim_id:
        raise invalid_parameter(
            "cursor",
            "`cursor` is not a cursor this listing issued; pass the `next_cursor` value of a "
            "previous response unchanged",
            cursor[1],
        )
    return cursor[0], claim_id, int(position)


async def figures_listing(
    request: Request,
    f: FilterDep,
    quantity: QuantityParam = [],  # noqa: B006 (FastAPI copies defaults)
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> FiguresListing:
    quantities = tuple(q.value for q in quantity)
    listing = FiguresListing(request, f, limit, decode("figures", cursor, f.descending), quantities)
    _after(listing.cursor)  # a forged cursor is a 422 before any query
    return listing


@router.get(
    "/figures",
    operation_id="listFigures",
    summary="List every claimed figure, with the same filters as /events",
    response_model=schemas.FigurePage,
    response_description="A page of figures, in the order they became known",
    responses={200: {"headers": LINK_HEADER}, **PROBLEM_RESPONSES},
    dependencies=[Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS, "quantity"))],
)
def list_figures(listing: Annotated[FiguresListing, Depends(figures_listing)]) -> Response:
    """Each figure a matching claim states, with its claimant, relaying outlets, document,
    quote and event, by the day it became known: the troop and casualty estimates of every
    source side by side. A claim matches as on /claims; `quantity` keeps figures of those
    quantities (see /figures/quantities)."""

    def fetch(conn: Any, f: Any, limit: int, cursor: tuple[date, str] | None) -> Any:
        return figures.page_figures(conn, f, listing.quantities, limit, _after(cursor))

    return listing.respond(
        "figures", fetch, lambda r: (r.known_from, f"{r.figure_position}:{r.id}"),
        lambda s, f, rows: {"data": build_figure_rows(s.conn, s.index, rows)},
    )  # fmt: skip


@router.get(
    "/figures/quantities",
    operation_id="listFigureQuantities",
    summary="List the quantities claimed figures count, with how many match",
    response_model=schemas.QuantityList,
    response_description="Each quantity with at least one matching figure, by name",
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(only_params(*FILTER_PARAMS))],
)
def list_figure_quantities(request: Request, f: FilterDep) -> Response:
    """How many claimed figures of each quantity match the filters (as /figures reads
    them): the values `quantity` takes, for a chart's menu."""
    with open_session(request) as session:
        resolved = f.resolve(session)
        counts = figures.figure_quantities(session.conn, resolved)
        body = {
            "data": [{"quantity": q, "count": n} for q, n in counts.items()],
            "filters": echo(session.index, resolved).model_dump(mode="json", by_alias=True),
        }
    return json_response(body, {})

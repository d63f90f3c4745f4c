"""/claims: one row per claim, for clients that reason about sources rather than events."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app import queries, schemas
from app.api.listing import ROUTE_OPTIONS, ClaimsListing
from app.assemble import build_claim_rows

router = APIRouter(tags=["claims"])


@router.get(
    "/claims",
    operation_id="listClaims",
    summary="List claims, with the same filters as /events",
    response_model=schemas.ClaimPage,
    response_description="A page of claims, with the cursor of the next",
    **ROUTE_OPTIONS,
)
def list_claims(listing: ClaimsListing) -> Response:
    """Claims that match every filter, ordered by their event's earliest date, then claim id.

    Event filters (`actor`, `from`, `to`, `type`) apply to the claim's event.
    """
    return listing.respond(
        "claims", queries.page_claims, queries.claim_sort_key,
        lambda s, f, rows: {"data": build_claim_rows(s.conn, s.index, rows)},
    )  # fmt: skip

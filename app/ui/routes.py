"""/ui (the timeline), /ui/documents/{id} (an article with its claims marked) and
/ui/figures (the claimed figures side by side), with `/` sending a browser to /ui.

Each page reads its query string with the API's validation and pages with the API's query
functions and cursor (app/ui/params.py, app/queries.py, app/assemble.py): a link works alike
here and on /events, and a refused value is a message on the page, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app import figures, queries
from app.api.deps import FILTER_PARAMS, MAX_LIMIT, Session, decode, open_session
from app.api.problems import ProblemError
from app.assemble import build_claim_rows, build_events, build_timeline_groups
from app.cursor import encode_cursor
from app.filters import TimelineFilter
from app.ui.chart import build_chart
from app.ui.highlight import segments
from app.ui.labels import figure_label
from app.ui.params import PageInputError, Query
from app.ui.render import STATIC_URL, UI_DIR, page
from app.vocab import EventType, Hedge, Quantity

router = APIRouter(include_in_schema=False)

TIMELINE_PARAMS = (*FILTER_PARAMS, "limit", "cursor")
FIGURE_PARAMS = (*FILTER_PARAMS, "quantity")
DEFAULT_QUANTITY = Quantity.troops_sent.value


def _root(request: Request) -> str:
    # Behind a proxy that mounts the app under a path, as app/api/docs.py does.
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/")
async def root(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{_root(request)}/ui", status_code=302)


def _choices(s: Session) -> dict[str, Any]:
    """What the filter form offers: actors (suggestions; any alias works), documents."""
    documents = queries.documents(s.conn)
    return {
        "actors": queries.actors(s.conn, None),
        "documents_options": [(d.id, d.title) for d in documents],
        "event_types": [t.value for t in EventType],
        "hedges": [h.value for h in Hedge],
    }


def _refused(request: Request, template: str, query: Query, message: str, status: int,
             **context: Any) -> HTMLResponse:  # fmt: skip
    with open_session(request) as s:
        choices = _choices(s)
    return page(template, status, root=_root(request), query=query, error=message,
                **choices, **context)  # fmt: skip


@router.get("/ui")
def timeline(request: Request) -> HTMLResponse:
    """The /events selection for the page's filters, grouped as /timeline groups it."""
    items = request.query_params.multi_items()
    shown = Query(tuple((k, v.strip()) for k, v in items if v.strip()))
    try:
        query = Query.of(items, TIMELINE_PARAMS)
        filter_input, limit = query.filter_input(), query.limit()
        cursor = _cursor(query.first("cursor"))
    except PageInputError as exc:
        return _refused(request, "timeline.html", shown, str(exc), 400, groups=[], next_url=None,
                        why_empty=None)  # fmt: skip
    with open_session(request) as s:
        try:
            f = filter_input.resolve(s)
        except ProblemError as exc:
            if exc.status >= 500:
                raise
            choices = _choices(s)
            return page("timeline.html", 422, root=_root(request), query=query,
                        error=exc.detail, groups=[], next_url=None, why_empty=None,
                        **choices)  # fmt: skip
        rows = queries.page_events(s.conn, f, limit, cursor)
        next_url = None
        if len(rows) > limit:
            rows = rows[:limit]
            token = encode_cursor("events", *queries.event_sort_key(rows[-1]))
            next_url = _root(request) + query.without("cursor").url("/ui", cursor=token)
        events = build_events(s.conn, s.index, f, rows)
        why_empty = None
        if not events and cursor is None:
            why_empty = _why_empty(s, query.filters())
        choices = _choices(s)
    by_id = {event["id"]: event for event in events}
    groups = [
        {**group, "events": [by_id[item["id"]] for item in group["events"]]}
        for group in build_timeline_groups(events)
    ]
    return page("timeline.html", root=_root(request), query=query, error=None, groups=groups,
                next_url=next_url, why_empty=why_empty, **choices)  # fmt: skip


def _cursor(token: str | None) -> Any:
    try:
        return decode("events", token)
    except ProblemError as exc:
        raise PageInputError(exc.detail) from None


def _why_empty(s: Session, query: Query) -> dict[str, Any]:
    """Which filters, each dropped alone, would let events through: one query of one row per
    filter, each filter read as the API reads it."""
    names = list(dict.fromkeys(name for name, _ in query.pairs))
    freeing = []
    for name in names:
        rest = query.without(name)
        try:
            f = rest.filter_input().resolve(s)
        except (PageInputError, ProblemError):
            continue
        if queries.page_events(s.conn, f, 1, None):
            freeing.append({"name": name, "values": query.values(name), "url": rest.url("/ui")})
    return {"names": names, "freeing": freeing}


@router.get("/ui/documents")
def document_list(request: Request) -> HTMLResponse:
    with open_session(request) as s:
        documents = queries.documents(s.conn)
    return page("documents.html", root=_root(request), documents=documents)


@router.get("/ui/documents/{document_id}")
def document(document_id: str, request: Request) -> HTMLResponse:
    """The article's text with each claim's quote marked at its stored offsets."""
    root = _root(request)
    with open_session(request) as s:
        rows = queries.documents(s.conn, document_id)
        if not rows:
            return page("not_found.html", 404, root=root,
                        message=f"There is no document with id \u201c{document_id}\u201d.",
                        documents=queries.documents(s.conn))  # fmt: skip
        doc = rows[0]
        f = Query((("document", document_id),)).filter_input().resolve(s)
        claims = build_claim_rows(s.conn, s.index, _every_claim(s, f))
        outlet = s.index.actors[doc.outlet_id].name if doc.outlet_id else None
        documents = queries.documents(s.conn)
    claims.sort(key=lambda c: (c["quote_start"], c["id"]))
    return page("document.html", root=root, doc=doc, outlet=outlet, claims=claims,
                parts=segments(doc.text, claims), documents=documents)  # fmt: skip


def _every_claim(s: Session, f: TimelineFilter) -> list[Any]:
    """Every claim of the filter, following /claims' cursor page by page."""
    out: list[Any] = []
    after = None
    while True:
        rows = queries.page_claims(s.conn, f, MAX_LIMIT, after)
        out += rows[:MAX_LIMIT]
        if len(rows) <= MAX_LIMIT:
            return out
        after = queries.claim_sort_key(rows[MAX_LIMIT - 1])


@router.get("/ui/figures")
def figures_page(request: Request) -> HTMLResponse:
    """Every claimed figure of one quantity over time, by claimant: a chart and its table."""
    items = request.query_params.multi_items()
    shown = Query(tuple((k, v.strip()) for k, v in items if v.strip()))
    empty: dict[str, Any] = {"chart": None, "rows": [], "quantities": {}, "quantity": None,
                             "claimants": {}}  # fmt: skip
    try:
        query = Query.of(items, FIGURE_PARAMS)
        filter_input = query.filter_input()
        quantity = query.first("quantity") or DEFAULT_QUANTITY
        if quantity not in {q.value for q in Quantity}:
            allowed = ", ".join(q.value for q in Quantity)
            raise PageInputError(f"quantity: {quantity!r} is not one of {allowed}")
    except PageInputError as exc:
        return _refused(request, "figures.html", shown, str(exc), 400, **empty)
    with open_session(request) as s:
        try:
            f = filter_input.resolve(s)
        except ProblemError as exc:
            if exc.status >= 500:
                raise
            choices = _choices(s)
            return page("figures.html", 422, root=_root(request), query=query,
                        error=exc.detail, **empty, **choices)  # fmt: skip
        rows = figures.claimed_figures(s.conn, f, quantity)
        counts = figures.figure_quantities(s.conn, f)
        claimants = {r.claimant_id: s.index.actors[r.claimant_id].name for r in rows}
        choices = _choices(s)
    titles = [_title(r, claimants) for r in rows]
    chart = build_chart(rows, titles) if rows else None
    return page("figures.html", root=_root(request), query=query, error=None, chart=chart,
                rows=rows, quantities=counts, quantity=quantity, claimants=claimants,
                **choices)  # fmt: skip


def _title(r: Any, claimants: dict[str, str]) -> str:
    return f"{claimants[r.claimant_id]}: {figure_label(r)}, known from {r.known_from.isoformat()}"


def install(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=UI_DIR / "static"), name="ui-static")
    app.include_router(router)

"""/ui (the timeline), /ui/documents/{id} (an article with its claims marked) and
/ui/figures (the claimed figures side by side), with `/` sending a browser to /ui.

Each page reads its query string with the API's validation and pages with the API's query
functions and cursor (app/ui/params.py, app/queries.py, app/assemble.py): a link works alike
here and on /events, and a refused value is a message on the page, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app import figures, queries
from app.api.deps import FILTER_PARAMS, MAX_LIMIT, Session, decode, open_session
from app.api.problems import ProblemError
from app.assemble import build_claim_rows, build_events, build_timeline_groups
from app.cursor import encode_cursor
from app.filters import TimelineFilter
from app.ui.chart import build_chart
from app.ui.choices import article_choices, languages
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
    """What the filter form offers: actor suggestions from the app's actor index (any alias
    works too, as in the API) and the first articles, without counting anyone's claims."""
    return {
        "actors": sorted(s.index.actors.values(), key=lambda a: a.id),
        "documents_options": [(d.id, d.title) for d in article_choices(s.conn)],
        "event_types": [t.value for t in EventType],
        "hedges": [h.value for h in Hedge],
    }


def _given(request: Request) -> Query:
    """The parameters as typed, for the form to show back even when they are refused."""
    return Query(tuple((k, v.strip()) for k, v in request.query_params.multi_items() if v.strip()))


def _tidy(request: Request, path: str) -> RedirectResponse | None:
    """A form sends its empty fields too; their URL without them, so that a shared link
    names only the filters in use."""
    items = request.query_params.multi_items()
    if all(v.strip() for _, v in items):
        return None
    return RedirectResponse(_given(request).url(_root(request) + path), 303)


def _resolved(s: Session, query: Query) -> TimelineFilter:
    """The API's filter for the query, or PageInputError saying what the API would say."""
    filter_input = query.filter_input()
    try:
        return filter_input.resolve(s)
    except ProblemError as exc:
        if exc.status >= 500:  # an outage or a stale index: the API's 503 answer
            raise
        raise PageInputError(exc.detail, exc.status) from None


@router.get("/ui")
def timeline(request: Request) -> Response:
    """The /events selection for the page's filters, grouped as /timeline groups it."""
    if tidy := _tidy(request, "/ui"):
        return tidy
    root = _root(request)
    with open_session(request) as s:
        context: dict[str, Any] = {"root": root, "query": _given(request), **_choices(s)}
        try:
            query = Query.of(request.query_params.multi_items(), TIMELINE_PARAMS)
            f, limit = _resolved(s, query), query.limit()
            cursor = _cursor(query.first("cursor"), f.descending)
        except PageInputError as exc:
            return page("timeline.html", exc.status, error=str(exc), groups=[], next_url=None,
                        why_empty=None, languages={}, **context)  # fmt: skip
        rows = queries.page_events(s.conn, f, limit, cursor)
        next_url = None
        if len(rows) > limit:
            rows = rows[:limit]
            token = encode_cursor("events", *queries.event_sort_key(rows[-1]), f.descending)
            next_url = root + query.without("cursor").url("/ui", cursor=token)
        events = build_events(s.conn, s.index, f, rows)
        quoted = languages(s.conn, (c["document"]["id"] for e in events for c in e["claims"]))
        why_empty = _why_empty(s, query.filters()) if not events and cursor is None else None
    by_id = {event["id"]: event for event in events}
    groups = [
        {**group, "events": [by_id[item["id"]] for item in group["events"]]}
        for group in build_timeline_groups(events)
    ]
    context["query"] = query
    return page("timeline.html", error=None, groups=groups, next_url=next_url,
                why_empty=why_empty, languages=quoted, **context)  # fmt: skip


def _cursor(token: str | None, descending: bool) -> Any:
    try:
        return decode("events", token, descending)
    except ProblemError as exc:
        raise PageInputError(exc.detail, exc.status) from None


def _why_empty(s: Session, query: Query) -> dict[str, Any]:
    """Which filters, each dropped alone, would let events through: one query of one row per
    filter, each filter read as the API reads it."""
    # The order chooses no events: dropping it frees none.
    names = list(dict.fromkeys(name for name, _ in query.pairs if name != "order"))
    freeing = []
    for name in names:
        rest = query.without(name)
        try:
            f = _resolved(s, rest)
        except PageInputError:
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
            message = f"There is no document with id \u201c{document_id}\u201d."
            return page("not_found.html", 404, root=root, message=message)
        doc = rows[0]
        f = Query((("document", document_id),)).filter_input().resolve(s)
        claims = build_claim_rows(s.conn, s.index, _every_claim(s, f))
        outlet = s.index.actors[doc.outlet_id].name if doc.outlet_id else None
    claims.sort(key=lambda c: (c["quote_start"], c["id"]))
    return page("document.html", root=root, doc=doc, outlet=outlet, claims=claims,
                parts=segments(doc.text, claims), languages={doc.id: doc.language})  # fmt: skip


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
def figures_page(request: Request) -> Response:
    """Every claimed figure of one quantity over time, by claimant: a chart and its table."""
    if tidy := _tidy(request, "/ui/figures"):
        return tidy
    with open_session(request) as s:
        context: dict[str, Any] = {"root": _root(request), "query": _given(request),
                                   **_choices(s)}  # fmt: skip
        try:
            query = Query.of(request.query_params.multi_items(), FIGURE_PARAMS)
            f, quantity = _resolved(s, query), _quantity(query)
        except PageInputError as exc:
            return page("figures.html", exc.status, error=str(exc), chart=None, rows=[],
                        quantities={}, quantity=None, claimants={}, **context)  # fmt: skip
        rows = figures.claimed_figures(s.conn, f, quantity)
        counts = figures.figure_quantities(s.conn, f)
        claimants = {r.claimant_id: s.index.actors[r.claimant_id].name for r in rows}
    titles = [_title(r, claimants) for r in rows]
    context["query"] = query
    return page("figures.html", error=None, chart=build_chart(rows, titles) if rows else None,
                rows=rows, quantities=counts, quantity=quantity, claimants=claimants,
                **context)  # fmt: skip


def _quantity(query: Query) -> str:
    quantity = query.first("quantity") or DEFAULT_QUANTITY
    if quantity not in {q.value for q in Quantity}:
        allowed = ", ".join(q.value for q in Quantity)
        raise PageInputError(f"quantity: {quantity!r} is not one of {allowed}")
    return quantity


def _title(r: Any, claimants: dict[str, str]) -> str:
    return f"{claimants[r.claimant_id]}: {figure_label(r)}, known from {r.known_from.isoformat()}"


def install(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=UI_DIR / "static"), name="ui-static")
    app.include_router(router)

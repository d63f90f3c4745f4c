"""The page for people (app/ui/), as served HTML read with an HTML parser, on SQLite and
PostgreSQL: what it shows is what the API answers for the same filters, the quotes are marked
at their stored offsets, the chart has a mark per claimed figure, and every seed text is
escaped under a strict Content-Security-Policy. tests/test_ui_browser.py renders it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import make_engine
from app.main import create_app
from app.ui.chart import build_chart, nice_ceiling
from app.ui.dates import date_label
from app.ui.highlight import segments
from app.ui.labels import figure_label
from app.ui.render import CONTENT_SECURITY_POLICY
from tests.conftest import page_rows

DOC_000 = "000_d40e8277d782d5f4"
CASUALTIES = "troops_killed_or_wounded"


# A small DOM from the standard library's parser: enough to select by tag and attribute.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with this tag and these attributes (`class_` matches one class)."""
        found = []
        for node in self.walk():
            if tag is not None and node.tag != tag:
                continue
            ok = True
            for name, value in attrs.items():
                if name == "class_":
                    ok = ok and value in node.attrs.get("class", "").split()
                else:
                    ok = ok and node.attrs.get(name.replace("_", "-")) == value
            if ok:
                found.append(node)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        (node,) = self.all(tag, **attrs)
        return node


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def get_page(api: httpx.Client, path: str, params: Any = None, status: int = 200) -> Node:
    response = api.get(path, params=params)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # The policy runs no script and no inline style, so the page must need neither.
    assert "<script" not in response.text and " style=" not in response.text
    return parse(response.text)


def squash(value: str) -> str:
    return " ".join(value.split())


# --- the timeline ------------------------------------------------------------------------

DPRK_Q4 = {"actor": "DPRK", "from": "2024-10", "to": "2024-12"}


def test_the_timeline_shows_the_events_the_api_lists(api: httpx.Client) -> None:
    expected = {e["id"]: e for e in page_rows(api, "/events", {**DPRK_Q4, "limit": 500})}
    groups = api.get("/timeline", params={**DPRK_Q4, "limit": 500}).json()["groups"]
    order = [e["id"] for g in groups for e in g["events"]]
    doc = get_page(api, "/ui", {**DPRK_Q4, "limit": 500})
    events = doc.all("article", class_="event")
    # The /events selection, in /timeline's order (an event joins the first group of its date).
    assert [e.attrs["data-event"] for e in events] == order and set(order) == set(expected)
    titles = [squash(e.one("h4").text()) for e in events]
    assert titles == [expected[i]["title"] for i in order]
    for title in (
        "North Korean troops suffer over 1,000 (South Korea) or over 3,000 (Ukraine) casualties",
        "First North Korean troops arrive in Russia",
        "North Korea and Russia ratify a mutual defence agreement",
    ):
        assert title in titles
    # Grouped under the dates /timeline groups by, written at their precision.
    headings = [squash(h.text()) for h in doc.all("h3", class_="date")]
    assert headings == [date_label(g["date"]["edtf"]) for g in groups]
    assert {"Autumn 2024", "21\u201323 October 2024", "November 2024"} <= set(headings)


def test_a_casualty_claim_shows_its_qualified_figure_and_claimant(api: httpx.Client) -> None:
    doc = get_page(api, "/ui", DPRK_Q4)
    event = doc.one("article", data_event="dprk-casualties-2024-12")
    kor = event.one("article", data_claim="c000-kor-over-1000-casualties")
    assert squash(kor.one(class_="claimant").text()) == "South Korea"
    assert squash(kor.one(class_="via").text()) == "via Agence France-Presse"
    assert squash(kor.one("li", class_="figure").text()) == (
        "Troops killed or wounded: more than 1,000 soldiers"
    )
    ukr = event.one("article", data_claim="c000-ukr-over-3000-casualties")
    assert squash(ukr.one(class_="claimant").text()) == "Ukraine"
    assert "more than 3,000 soldiers" in ukr.text()
    # The verbatim quote, as the API holds it.
    quotes = {
        c["id"]: c["quote"] for c in api.get("/events/dprk-casualties-2024-12").json()["claims"]
    }
    assert kor.one("blockquote").text() == quotes["c000-kor-over-1000-casualties"]
    assert kor.one("blockquote").attrs["lang"] == "fr"  # read out in its article's language


def test_a_denial_does_not_look_like_an_assertion(api: httpx.Client) -> None:
    doc = get_page(api, "/ui", {"actor": "DPRK", "limit": 500})
    denial = doc.one("article", data_claim="c000-dprk-initially-denied-sending-troops")
    assert "stance-denies" in denial.attrs["class"].split()
    badge = denial.one("span", class_="stance")
    assert squash(badge.text()) == "\u2717 denies" and "badge-denies" in badge.attrs["class"]
    assertion = doc.one("article", data_claim="c000-kor-over-1000-casualties")
    assert squash(assertion.one("span", class_="stance").text()) == "asserts"
    assert squash(assertion.one("span", class_="hedge").text()) == "reported"


def test_claims_the_claim_filters_did_not_select_say_so(api: httpx.Client) -> None:
    event = api.get("/events", params={"claimant": "KOR", "type": "casualties"}).json()["data"][0]
    doc = get_page(api, "/ui", {"claimant": "KOR", "type": "casualties"})
    cards = doc.one("article", data_event=event["id"]).all("article", class_="claim")
    shown = {c.attrs["data-claim"]: not c.all(class_="unmatched-note") for c in cards}
    assert shown == {c["id"]: c["matched"] for c in event["claims"]}
    assert set(shown.values()) == {True, False}


def test_paging_follows_the_api_cursor(api: httpx.Client) -> None:
    params = {"actor": "DPRK", "limit": 7}
    seen: list[str] = []
    url: str | None = "/ui"
    first = True
    api_page = api.get("/events", params=params).json()
    while url is not None:
        doc = get_page(api, url, params if first else None)
        seen += [e.attrs["data-event"] for e in doc.all("article", class_="event")]
        links = doc.all("a", rel="next")
        if first:
            (link,) = links
            assert parse_qs(urlsplit(link.attrs["href"]).query)["cursor"] == [
                api_page["next_cursor"]
            ]
        first = False
        url = links[0].attrs["href"] if links else None
    assert seen == [e["id"] for e in page_rows(api, "/events", params)]
    assert len(seen) > 7


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        (
            {"from": "2024-13"},
            422,
            "from: '2024-13' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY",
        ),
        ({"actor": "Pyongyangg"}, 422, "unknown actor 'Pyongyangg'; did you mean"),
        ({"type": "battle"}, 422, "type: 'battle' is not one of deployment, casualties"),
        ({"known_as_of": "2024-10"}, 422, "known_as_of: '2024-10' is not a day: use YYYY-MM-DD"),
        ({"actr": "DPRK"}, 400, "unknown parameter 'actr'; this page reads: actor,"),
        ({"cursor": "nope"}, 422, "cursor: "),
        ({"limit": "0"}, 422, "limit: '0' is not a whole number from 1 to 500"),
        ({"limit": "\u0661\u0660"}, 422, "is not a whole number from 1 to 500"),
    ],
)
def test_a_refused_filter_is_a_message_on_the_page(
    api: httpx.Client, params: dict[str, str], status: int, message: str
) -> None:
    doc = get_page(api, "/ui", params, status)
    alert = doc.one(role="alert")
    assert message in squash(alert.text())
    # The form shows back what was typed, so it can be corrected.
    name, value = next(iter(params.items()))
    if name not in ("cursor", "limit", "type", "actr"):
        assert any(i.attrs.get("value") == value for i in doc.all("input", name=name))


def test_an_empty_result_names_the_filters_that_emptied_it(api: httpx.Client) -> None:
    doc = get_page(api, "/ui", {"actor": "NIS", "type": "summit"})
    assert doc.all("article", class_="event") == []
    freeing = doc.one(role="status").all("li")
    assert [squash(li.one("code").text()) for li in freeing] == ["actor=NIS", "type=summit"]
    # Each link is the same view without that filter, and it does list events.
    for li in freeing:
        href = li.one("a").attrs["href"]
        assert get_page(api, href).all("article", class_="event")
    # Nothing was known before the first article: only `known_as_of` empties this one.
    doc = get_page(api, "/ui", {"actor": "DPRK", "known_as_of": "2024-10-01"})
    freeing = doc.one(role="status").all("li")
    assert [squash(li.one("code").text()) for li in freeing] == ["known_as_of=2024-10-01"]


def test_as_known_on_hides_later_claims(api: httpx.Client) -> None:
    params = {"known_as_of": "2024-10-23", "limit": 500}
    doc = get_page(api, "/ui", params)
    claims = doc.all("article", class_="claim")
    assert claims
    assert max(c.attrs["data-known-from"] for c in claims) <= "2024-10-23"
    assert not [c for c in claims if c.attrs["data-known-from"].startswith("2024-12")]
    assert "c000-kor-over-1000-casualties" not in {c.attrs["data-claim"] for c in claims}
    expected = page_rows(api, "/events", params)
    assert [e.attrs["data-event"] for e in doc.all("article", class_="event")] == [
        e["id"] for e in expected
    ]
    assert {c.attrs["data-claim"] for c in claims} == {
        c["id"] for e in expected for c in e["claims"]
    }
    # The control holds the day, for the next change of filters.
    assert doc.one("input", name="known_as_of").attrs["value"] == "2024-10-23"


def test_the_forms_empty_fields_are_dropped_from_the_link(api: httpx.Client) -> None:
    for path in ("/ui", "/ui/figures"):
        response = api.get(path, params=[("actor", ""), ("known_as_of", "2024-10-23"),
                                         ("q", " "), ("type", "casualties")])  # fmt: skip
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}?known_as_of=2024-10-23&type=casualties"


def test_the_root_sends_a_browser_to_the_page(api: httpx.Client) -> None:
    for response in (api.get("/"), api.head("/")):
        assert (response.status_code, response.headers["location"]) == (302, "/ui")


# --- the article view ---------------------------------------------------------------------


def test_the_article_marks_every_claim_at_its_stored_offsets(api: httpx.Client) -> None:
    document = api.get(f"/documents/{DOC_000}").json()
    claims = page_rows(api, "/claims", {"document": DOC_000, "limit": 500})
    assert len(claims) == document["claim_count"] == 18
    doc = get_page(api, f"/ui/documents/{DOC_000}")
    body = doc.one("div", class_="body")
    # The text is whole, marks and all; what no claim quotes stays plain.
    assert body.text() == document["text"]
    marks = body.all("a", class_="hl")
    for claim in claims:
        covering = [m for m in marks if claim["id"] in m.attrs["data-claims"].split()]
        quoted = "".join(m.text() for m in covering)
        stored = document["text"][claim["quote_start"] : claim["quote_end"]]
        assert quoted == stored == claim["quote"], claim["id"]
        # Selecting a piece leads to a claim that covers it, shown with its event.
        card = doc.one("article", id=f"claim-{claim['id']}")
        assert squash(card.one(class_="event-title").text()) == claim["event"]["title"]
    for mark in marks:
        assert mark.attrs["href"].removeprefix("#claim-") in mark.attrs["data-claims"].split()
    plain = "".join(c for c in body.children if isinstance(c, str))
    quoted_chars = sum(len(m.text()) for m in marks)
    assert len(plain) + quoted_chars == len(document["text"])
    meta = squash(doc.one("dl", class_="doc-meta").text())
    assert "Thanh Niên" in meta and "24 December 2024" in meta and "inferred, high" in meta


def test_an_unknown_article_is_a_404_page(api: httpx.Client) -> None:
    doc = get_page(api, "/ui/documents/nope", status=404)
    assert "There is no document with id \u201cnope\u201d." in doc.one("main").text()
    listed = get_page(api, doc.one("main").all("a")[0].attrs["href"])
    assert len(listed.one("ul", class_="doc-list").all("li")) == 5


def test_a_value_outside_the_offered_choices_stays_chosen(api: httpx.Client) -> None:
    """The form offers the first articles by name; an id from a link stays selected even
    when it is not among them, and the select offers each article once."""
    doc = get_page(api, "/ui", {"document": DOC_000})
    options = doc.one("select", name="document").all("option")
    assert [o.attrs["value"] for o in options if "selected" in o.attrs] == [DOC_000]
    assert len(options) == 1 + 5
    doc = get_page(api, "/ui", [("type", "casualties"), ("type", "denial")])
    select = doc.one("select", name="type")
    assert "multiple" in select.attrs
    assert [o.attrs["value"] for o in select.all("option") if "selected" in o.attrs] == [
        "casualties", "denial"
    ]  # fmt: skip


# --- the figures --------------------------------------------------------------------------


def _api_figures(api: httpx.Client, quantity: str, params: dict[str, str]) -> list[tuple[str, Any]]:
    """(claim id, figure) of every claimed figure of `quantity` for the filters, from /claims."""
    rows = page_rows(api, "/claims", {**params, "limit": 500})
    found = [(c["id"], c["known_from"], f) for c in rows for f in c["figures"]
             if f["quantity"] == quantity]  # fmt: skip
    return [(cid, f) for cid, _, f in sorted(found, key=lambda t: (t[1], t[0]))]


@pytest.mark.parametrize(
    "params",
    [{}, {"claimant": "KOR"}, {"known_as_of": "2024-12-24"}, {"actor": "DPRK", "from": "2025"}],
)
@pytest.mark.parametrize("quantity", [CASUALTIES, "troops_sent"])
def test_the_chart_has_one_mark_per_claimed_figure(
    api: httpx.Client, quantity: str, params: dict[str, str]
) -> None:
    expected = _api_figures(api, quantity, params)
    doc = get_page(api, "/ui/figures", {**params, "quantity": quantity})
    marks = doc.all("a", class_="mark")
    rows = [row for row in doc.all("tr") if "data-claim" in row.attrs]
    assert [m.attrs["data-claim"] for m in marks] == [cid for cid, _ in expected]
    assert [r.attrs["data-claim"] for r in rows] == [cid for cid, _ in expected]
    for row, (_, figure) in zip(rows, expected, strict=True):
        assert squash(row.one("td", class_="figure").text()) == figure_label(figure)
    if not expected:
        assert "No claimed figure of this quantity matches" in doc.one(role="status").text()


def test_the_casualties_chart_draws_each_bound_as_such(api: httpx.Client) -> None:
    doc = get_page(api, "/ui/figures", {"quantity": CASUALTIES})
    marks = {m.attrs["data-claim"]: m for m in doc.all("a", class_="mark")}
    assert len(doc.all("a", class_="mark")) == 4
    kor = marks["c000-kor-over-1000-casualties"]
    assert kor.attrs["data-shape"] == "above" and kor.all("polygon")
    assert squash(kor.one("title").text()) == (
        "South Korea: more than 1,000 soldiers, known from 2024-12-24"
    )
    # Coloured by claimant: South Korea and Ukraine apart, one colour per claimant.
    colour = {cid: m.all("line")[0].attrs["stroke"] for cid, m in marks.items()}
    assert colour["c000-kor-over-1000-casualties"] != colour["c000-ukr-over-3000-casualties"]
    assert len(set(colour.values())) == 3  # South Korea, Ukraine, Euronews (twice)
    # The quantity menu counts each quantity's figures under the same filters.
    chosen = [o for o in doc.one("select", name="quantity").all("option") if "selected" in o.attrs]
    assert [squash(o.text()) for o in chosen] == ["Troops killed or wounded (4)"]
    table = doc.one("table")
    assert "more than 1,000 soldiers" in squash(table.text())
    assert [squash(th.text()) for th in table.all("th", scope="row")] == [
        "South Korea", "Ukraine", "Euronews", "Euronews"
    ]  # fmt: skip


def test_the_figures_page_refuses_an_unknown_quantity(api: httpx.Client) -> None:
    doc = get_page(api, "/ui/figures", {"quantity": "tanks"}, 422)
    assert "quantity: 'tanks' is not one of troops_sent" in doc.one(role="alert").text()


# --- escaping, with a title the seeds do not hold (SQLite: a copy of its own) -------------


def test_every_seed_text_is_escaped(seeded_sqlite_url: str) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quoted"'
    engine = make_engine(seeded_sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET title = :t WHERE id = 'dprk-casualties-2024-12'"),
            {"t": hostile},
        )
        conn.execute(
            text("UPDATE documents SET title = :t WHERE id = :d"), {"t": hostile, "d": DOC_000}
        )
    engine.dispose()
    with TestClient(create_app(seeded_sqlite_url)) as client:
        for path in ("/ui?actor=DPRK", f"/ui/documents/{DOC_000}", "/ui/figures"):
            doc = get_page(client, path)  # asserts no <script in the source
            assert not [n for n in doc.walk() if n.tag == "img"]
            assert hostile in doc.text()


# --- the helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edtf", "label"),
    [
        ("2024-23", "Autumn 2024"),
        ("2024-10", "October 2024"),
        ("2024-10-21/2024-10-23", "21\u201323 October 2024"),
        ("2024-10-18/2024-11-24", "18 October \u2013 24 November 2024"),
        ("2025-01/2025-02", "January\u2013February 2025"),
        ("2024-10-23~", "about 23 October 2024"),
        ("2024-09/2025-02-07", "September 2024 \u2013 7 February 2025"),
        ("2024-12-30/2025-01-02", "30 December 2024 \u2013 2 January 2025"),
    ],
)
def test_dates_are_written_at_their_precision(edtf: str, label: str) -> None:
    assert date_label(edtf) == label


@pytest.mark.parametrize(
    ("qualifier", "low", "high", "label"),
    [
        ("exact", 12000, 12000, "12,000 soldiers"),
        ("about", 3000, 3000, "about 3,000 soldiers"),
        ("at_least", 10000, None, "at least 10,000 soldiers"),
        ("more_than", 1000, None, "more than 1,000 soldiers"),
        ("up_to", None, 12000, "up to 12,000 soldiers"),
        ("range", 1000, 3000, "1,000\u20133,000 soldiers"),
        ("vague", 1000, None, "\u201cDes milliers\u201d (of the order of 1,000) soldiers"),
    ],
)
def test_figures_are_written_with_their_qualifier(
    qualifier: str, low: int | None, high: int | None, label: str
) -> None:
    figure = {"low": low, "high": high, "qualifier": qualifier, "unit": "soldiers",
              "text": "Des milliers"}  # fmt: skip
    assert figure_label(figure) == label


def test_overlapping_quotes_split_into_pieces_that_know_their_claims() -> None:
    claims = [{"id": "a", "quote_start": 2, "quote_end": 8},
              {"id": "b", "quote_start": 5, "quote_end": 10}]  # fmt: skip
    pieces = segments("0123456789AB", claims)
    assert [(p.text, p.claims, p.starts) for p in pieces] == [
        ("01", (), ()), ("234", ("a",), ("a",)), ("567", ("a", "b"), ("b",)),
        ("89", ("b",), ()), ("AB", (), ()),
    ]  # fmt: skip


def test_the_chart_scale_and_the_marks_of_one_day_side_by_side() -> None:
    assert [nice_ceiling(v) for v in (0.5, 1, 1150, 3450, 13800)] == [
        0.5, 1, 2000, 5000, 20000
    ]  # fmt: skip
    day = date(2025, 2, 27)
    rows = [SimpleNamespace(known_from=day, low=None, high=12000, qualifier="up_to",
                            claimant_id=c) for c in ("a", "b", "c")]  # fmt: skip
    chart = build_chart(rows, ["t1", "t2", "t3"])
    xs = [m.x for m in chart.marks]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert all(m.y_low == chart.bottom and m.y_high < chart.bottom for m in chart.marks)
    assert len({m.colour for m in chart.marks}) == 3

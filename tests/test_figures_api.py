"""/figures and /figures/quantities on the seeds, on both databases: the claimed figures
with their claimants, side by side, paged in the order they became known."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import page_rows


def _figures(api: httpx.Client, **params: Any) -> list[tuple[Any, ...]]:
    rows = page_rows(api, "/figures", params)
    return [(r["claim_id"], r["claimant"]["id"], r["low"], r["high"], r["qualifier"],
             r["known_from"]) for r in rows]  # fmt: skip


def test_casualty_claims_of_december_and_february_side_by_side(api: httpx.Client) -> None:
    assert _figures(api, quantity="troops_killed_or_wounded") == [
        ("c000-kor-over-1000-casualties", "kor", 1000, None, "more_than", "2024-12-24"),
        ("c000-ukr-over-3000-casualties", "ukr", 3000, None, "more_than", "2024-12-24"),
        # "Des milliers": thousands, a vague lower bound
        ("c002-standfirst-thousands-killed-or-wounded", "euronews", 1000, None, "vague",
         "2025-02-27"),
        ("c002-thousands-killed-or-wounded-in-kursk", "euronews", 1000, None, "vague",
         "2025-02-27"),
    ]  # fmt: skip


def test_troop_estimates_known_in_october_2024(api: httpx.Client) -> None:
    quantities = ["troops_sent", "troops_pledged", "troops_present"]
    assert _figures(api, quantity=quantities, known_as_of="2024-10-31") == [
        ("c001-lawmakers-about-10000-pledged", "kor-nis", 10000, 10000, "about", "2024-10-23"),
        ("c001-nis-about-3000-sent", "kor-nis", 3000, 3000, "about", "2024-10-23"),
        ("c001-nis-dprk-decided-to-send-12000", "kor-nis", 12000, 12000, "exact", "2024-10-23"),
        ("c003-kirby-up-to-3000-in-russia", "usa", None, 3000, "up_to", "2024-10-24"),
    ]  # fmt: skip


def test_a_row_carries_its_claim_document_quote_and_event(api: httpx.Client) -> None:
    body = api.get("/figures", params={"quantity": "troops_killed_or_wounded", "limit": 1}).json()
    (row,) = body["data"]
    assert row["text"] in row["quote"] and row["unit"] == "soldiers" and row["position"] == 0
    assert row["document"]["id"] == "000_d40e8277d782d5f4"
    assert [v["id"] for v in row["via"]] == ["afp"]
    assert row["event"]["id"] == "dprk-casualties-2024-12"
    assert row["stance"] == "asserts" and row["hedge"] == "reported"
    document = api.get(f"/documents/{row['document']['id']}").json()
    assert document["text"][row["quote_start"] : row["quote_end"]] == row["quote"]
    assert body["next_cursor"] and body["filters"]["claimant"] == []


def test_the_filters_of_events_apply(api: httpx.Client) -> None:
    ukr = page_rows(api, "/figures", {"claimant": "UKR"})
    assert ukr and all(r["claimant"]["id"].startswith(("ukr", "zelensky")) for r in ukr)
    # A claim with two figures gives two rows, in their order in the claim.
    two = [r["position"] for r in ukr if r["claim_id"] == "c001-hur-18-of-40-left-post"]
    assert two == [0, 1]
    december = _figures(api, **{"from": "2024-12", "to": "2024-12", "type": "casualties"})
    assert [f[0] for f in december] == [
        "c000-kor-over-1000-casualties", "c000-ukr-over-3000-casualties"]  # fmt: skip


def test_paging_returns_every_figure_once_in_order(api: httpx.Client) -> None:
    everything = api.get("/figures", params={"limit": 500}).json()["data"]
    paged = page_rows(api, "/figures", {"limit": 3})
    keys = [(r["known_from"], r["claim_id"], r["position"]) for r in paged]
    assert keys == [(r["known_from"], r["claim_id"], r["position"]) for r in everything]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == 22


def test_quantities_count_what_figures_lists(api: httpx.Client) -> None:
    body = api.get("/figures/quantities", params={"claimant": "UKR"}).json()
    counts = {q["quantity"]: q["count"] for q in body["data"]}
    assert list(counts) == sorted(counts)
    rows = page_rows(api, "/figures", {"claimant": "UKR"})
    assert counts == {
        q: sum(r["quantity"] == q for r in rows) for q in {r["quantity"] for r in rows}
    }
    everything = api.get("/figures/quantities").json()["data"]
    assert sum(q["count"] for q in everything) == 22
    assert {"quantity": "troops_sent", "count": 7} in everything


def test_bad_values_are_problems(api: httpx.Client) -> None:
    bad = api.get("/figures", params={"quantity": "soldiers"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert "troops_sent" in bad.json()["detail"]
    forged = api.get("/figures", params={"cursor": "WyJmaWd1cmVzIiwiMjAyNC0xMi0yNCIsIngiXQ"})
    assert forged.status_code == 422 and "cursor" in forged.json()["detail"]
    other = api.get("/claims", params={"limit": 1}).json()["next_cursor"]
    assert api.get("/figures", params={"cursor": other}).status_code == 422
    unknown = api.get("/figures/quantities", params={"limit": 5})
    assert unknown.status_code == 400 and "limit" in unknown.json()["detail"]

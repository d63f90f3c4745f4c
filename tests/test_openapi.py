"""The OpenAPI contract: valid, clean, and usable by a client generated from it."""

from __future__ import annotations

import enum
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from app.api.http_cache import CACHED_PREFIXES
from app.main import create_app
from app.openapi import EXAMPLE_EVENT, EXAMPLES, EXAMPLES_PATH
from tests.conftest import require
from tests.stamptools import fixed

OPERATION_IDS = {
    ("/events", "get"): "listEvents", ("/events/{event_id}", "get"): "getEvent",
    ("/events/facets", "get"): "countEventFacets",
    ("/timeline", "get"): "getTimeline", ("/claims", "get"): "listClaims",
    ("/figures", "get"): "listFigures", ("/figures/quantities", "get"): "listFigureQuantities",
    ("/actors", "get"): "listActors", ("/actors/{actor_id}", "get"): "getActor",
    ("/documents", "get"): "listDocuments", ("/documents/{document_id}", "get"): "getDocument",
    ("/changes", "get"): "listChanges", ("/healthz", "get"): "getHealth", ("/readyz", "get"): "getReadiness",
}  # fmt: skip
# The operations that take /events' filters.
LISTINGS = (
    "/events", "/events/facets", "/timeline", "/claims", "/figures", "/figures/quantities",
)  # fmt: skip


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app("sqlite://").openapi()


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_operation_ids_tags_and_descriptions(spec: dict[str, Any]) -> None:
    found = {
        (path, method): op["operationId"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert found == OPERATION_IDS
    for item in spec["paths"].values():
        for op in item.values():
            assert op["tags"] and op["summary"]


def test_errors_are_problem_json_everywhere(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        for op in item.values():
            errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
            if path in LISTINGS:
                assert {"400", "422"} <= set(errors)
            if "{" in path:
                assert "404" in errors
            for response in errors.values():
                assert list(response["content"]) == ["application/problem+json"]
                assert response["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_vocabularies_are_enums(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert "casualties" in schemas["EventType"]["enum"]
    assert schemas["Hedge"]["enum"] == [
        "confirmed",
        "asserted",
        "estimated",
        "reported",
        "alleged",
        "expected",
        "speculative",
    ]
    assert schemas["Qualifier"]["enum"] == [
        "exact",
        "about",
        "at_least",
        "more_than",
        "up_to",
        "range",
        "vague",
    ]


def test_example_event_is_real_data(api: httpx.Client, spec: dict[str, Any]) -> None:
    example = _example(spec, "/events/{event_id}")
    assert example == EXAMPLE_EVENT
    assert fixed(api.get(f"/events/{example['id']}").json()) == example


def _example(spec: dict[str, Any], path: str) -> Any:
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return content["examples"]["seeds"]["value"]


def _walk(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in the document, with its JSON pointer."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_every_schema_property_and_parameter_is_described(spec: dict[str, Any]) -> None:
    missing = []
    for name, schema in spec["components"]["schemas"].items():
        if not schema.get("description"):
            missing.append(f"schema {name}")
        for prop, prop_schema in schema.get("properties", {}).items():
            if not prop_schema.get("description"):
                missing.append(f"property {name}.{prop}")
    for path, op in _operations(spec):
        for param in op.get("parameters", []):
            if not param.get("description"):
                missing.append(f"parameter {param['name']} of {path}")
    assert not missing, missing
    # Nested objects too: an inline object schema anywhere needs its properties described.
    for pointer, node in _walk(spec):
        if isinstance(node.get("properties"), dict) and "/examples/" not in pointer:
            for prop, prop_schema in node["properties"].items():
                assert prop_schema.get("description"), f"{pointer}/properties/{prop}"


def test_every_response_is_described(spec: dict[str, Any]) -> None:
    for path, op in _operations(spec):
        for status, response in op["responses"].items():
            description = response.get("description", "")
            assert len(description) > 10, (path, status)
            assert description not in ("Successful Response", "Not Found"), (path, status)
            for name, header in response.get("headers", {}).items():
                assert header.get("description") and header.get("schema"), (path, status, name)


def test_each_enum_is_one_component(spec: dict[str, Any]) -> None:
    """So that a generated client gets one type per vocabulary (one `DateMatch`, not one per
    operation): every enum is a named component, and no two share their values."""
    enums = [(pointer, node["enum"]) for pointer, node in _walk(spec) if "enum" in node]
    inline = [p for p, _ in enums if not p.startswith("#/components/schemas/") or p.count("/") != 3]
    assert not inline, inline
    by_values: dict[frozenset[str], list[str]] = {}
    for pointer, values in enums:
        by_values.setdefault(frozenset(values), []).append(pointer)
    assert all(len(names) == 1 for names in by_values.values()), by_values
    schemas = spec["components"]["schemas"]
    assert schemas["DateMatch"]["enum"] == ["overlap", "within"]
    date_match = {"$ref": "#/components/schemas/DateMatch"}
    for path in LISTINGS:
        (param,) = [
            p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "date_match"
        ]
        assert param["schema"]["$ref"] == date_match["$ref"]
    assert schemas["ResolvedFilters"]["properties"]["date_match"]["$ref"] == date_match["$ref"]
    # `order` likewise: one Order component, asc first (the default).
    assert schemas["Order"]["enum"] == ["asc", "desc"]
    for path in LISTINGS:
        (param,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "order"]
        assert param["schema"]["$ref"] == "#/components/schemas/Order"
        assert param["schema"]["default"] == "asc"


def test_caching_and_paging_headers_are_declared(spec: dict[str, Any]) -> None:
    for path, op in _operations(spec):
        responses = op["responses"]
        headers = responses["200"].get("headers", {})
        cached = path.startswith(CACHED_PREFIXES)
        assert cached == (path not in ("/healthz", "/readyz")), path
        assert ({"ETag", "Cache-Control"} <= set(headers)) == cached, path
        assert ("304" in responses) == cached, path
        assert set(responses.get("304", {}).get("headers", {})) == (
            {"ETag", "Cache-Control"} if cached else set()
        )
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert names == ({"If-None-Match"} if cached else set()), path
        assert ("Link" in headers) == (
            path in ("/events", "/timeline", "/claims", "/figures", "/changes")
        ), path
        if "503" in responses:
            assert "Retry-After" in responses["503"]["headers"], path


def test_every_operation_has_an_example(spec: dict[str, Any]) -> None:
    for path, op in _operations(spec):
        content = op["responses"]["200"]["content"]["application/json"]
        (example,) = content["examples"].values()
        assert example["summary"].startswith("GET /"), path
        assert example["value"], path
    assert set(EXAMPLES) == {op["operationId"] for _, op in _operations(spec)}


def _operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, item in spec["paths"].items() for op in item.values()]


# The one response whose example is shortened: a document's text (README: real examples).
SHORTENED_TEXT = 400
EXAMPLE_BASE = "http://127.0.0.1:8000"


def test_examples_are_real_responses(server: str, spec: dict[str, Any]) -> None:
    """Each example is the server's answer to the request in its summary, exactly (bar the
    document text, shortened, the host in `next` URLs, and the load's timestamps, fixed by
    tests/stamptools.py). CLAIMLINE_UPDATE_EXAMPLES=1
    rewrites app/openapi_examples.json from this server instead."""
    update = os.environ.get("CLAIMLINE_UPDATE_EXAMPLES") == "1"
    examples = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    for path, op in _operations(spec):
        entry = examples[op["operationId"]]
        response = httpx.get(server + entry["request"], timeout=10)
        assert response.status_code == 200, (entry["request"], response.text)
        # Stamps (and /changes cursors) at one instant: the examples are from another load.
        actual = fixed(json.loads(response.text.replace(server, EXAMPLE_BASE)))
        if op["operationId"] == "getDocument":
            text = actual["text"]
            actual["text"] = text[:SHORTENED_TEXT].rstrip() + " …"
            entry["note"] = "text shortened"
        if update:
            entry["response"] = actual
            continue
        example = _example(spec, path)
        if op["operationId"] == "getDocument":
            assert text.startswith(example["text"].removesuffix(" …"))
        assert example == actual, op["operationId"]
    if update:
        EXAMPLES_PATH.write_text(
            json.dumps(examples, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def test_declared_headers_are_the_ones_sent(server: str, spec: dict[str, Any]) -> None:
    """ETag, Cache-Control and Link are declared where the server sends them, and a declared
    ETag answers If-None-Match with the declared 304."""
    watched = {"etag", "cache-control", "link"}
    for _, op in _operations(spec):
        request = EXAMPLES[op["operationId"]]["request"]
        response = httpx.get(server + request, timeout=10)
        declared = {name.lower() for name in op["responses"]["200"].get("headers", {})}
        sent = watched & set(response.headers)
        assert sent <= declared, (request, sent - declared)
        assert declared & {"etag", "cache-control"} <= sent, request
        if "link" in declared and response.json()["next"]:
            assert response.headers["link"] == f'<{response.json()["next"]}>; rel="next"'
        if "etag" in sent:
            again = httpx.get(
                server + request, headers={"If-None-Match": response.headers["etag"]}, timeout=10
            )
            assert again.status_code == 304 and "304" in op["responses"], request
            assert again.headers["etag"] == response.headers["etag"]


def test_the_server_serves_this_document(api: httpx.Client, spec: dict[str, Any]) -> None:
    """The document checked above is the one clients download."""
    served = api.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == spec


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """A Python client generated by openapi-python-client from the served document."""
    root = tmp_path_factory.mktemp("generated")
    spec_path = root / "openapi.json"
    spec_path.write_text(json.dumps(create_app("sqlite://").openapi()), encoding="utf-8")
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(
        [str(Path(bin_dir) / "openapi-python-client"), "generate", "--path", str(spec_path),
         "--output-path", str(root / "claimline_client"), "--meta", "none"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("claimline_client")
    finally:
        sys.path.remove(str(root))


def test_generated_client_drives_the_server(server: str, generated_client: ModuleType) -> None:
    list_events = importlib.import_module("claimline_client.api.events.list_events")
    get_event = importlib.import_module("claimline_client.api.events.get_event")
    models = importlib.import_module("claimline_client.models")
    client = generated_client.Client(base_url=server)

    seen: list[str] = []
    page = list_events.sync(client=client, actor=["DPRK"], limit=7)
    assert isinstance(page, models.EventPage)
    while True:
        seen += [event.id for event in page.data]
        if not page.next_cursor:
            break
        page = list_events.sync(client=client, actor=["DPRK"], limit=7, cursor=page.next_cursor)
    direct = httpx.get(f"{server}/events", params={"actor": "DPRK", "limit": 500}).json()["data"]
    assert seen == [e["id"] for e in direct]
    assert len(seen) > 7

    event = get_event.sync(client=client, event_id="dprk-casualties-2024-12")
    assert isinstance(event, models.Event)
    assert event.type_ == models.EventType.CASUALTIES
    kor = next(c for c in event.claims if c.claimant.id == "kor")
    assert (kor.figures[0].low, kor.figures[0].qualifier) == (1000, models.Qualifier.MORE_THAN)
    assert str(event.date.earliest) == "2024-12-24"

    count_facets = importlib.import_module("claimline_client.api.events.count_event_facets")
    facets = count_facets.sync(client=client, actor=["DPRK"], facet=[models.Facet.TYPE])
    assert isinstance(facets, models.EventFacets)
    assert facets.total == len(seen)
    assert sum(item.count for item in facets.facets.type_) == len(seen)  # one type per event
    assert not facets.facets.actor  # not requested, so absent

    bad = list_events.sync_detailed(client=client, actor=["DPRKK"])
    assert bad.status_code == 422
    assert isinstance(bad.parsed, models.Problem)
    assert "did you mean 'dprk'" in bad.parsed.detail
    assert bad.parsed.errors[0].suggestions == ["dprk"]


def test_generated_client_reads_etag_and_link(server: str, generated_client: ModuleType) -> None:
    """The detailed-response API gives the headers the document declares: Link leads to the
    next page, and the ETag sent back as If-None-Match gets the declared 304."""
    list_events = importlib.import_module("claimline_client.api.events.list_events")
    models = importlib.import_module("claimline_client.models")
    client = generated_client.Client(base_url=server)

    first = list_events.sync_detailed(
        client=client, actor=["DPRK"], limit=2, date_match=models.DateMatch.WITHIN,
        from_="2024-10", to="2024-12",
    )  # fmt: skip
    assert first.status_code == 200
    assert isinstance(first.parsed, models.EventPage)
    assert first.parsed.filters.date_match is models.DateMatch.WITHIN
    link = first.headers["Link"]
    assert link == f'<{first.parsed.next_}>; rel="next"'
    next_url = httpx.URL(link.removeprefix("<").removesuffix('>; rel="next"'))
    second = list_events.sync(
        client=client, actor=["DPRK"], limit=2, date_match=models.DateMatch.WITHIN,
        from_="2024-10", to="2024-12", cursor=next_url.params["cursor"],
    )  # fmt: skip
    assert isinstance(second, models.EventPage)
    direct = httpx.get(str(next_url)).json()
    assert [e.id for e in second.data] == [e["id"] for e in direct["data"]]
    assert {e.id for e in second.data}.isdisjoint(e.id for e in first.parsed.data)

    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    unchanged = list_events.sync_detailed(
        client=client, actor=["DPRK"], limit=2, date_match=models.DateMatch.WITHIN,
        from_="2024-10", to="2024-12", if_none_match=etag,
    )  # fmt: skip
    assert unchanged.status_code == 304
    assert unchanged.parsed is None and unchanged.content == b""
    assert unchanged.headers["ETag"] == etag


def test_generated_client_has_one_class_per_enum(generated_client: ModuleType) -> None:
    models = importlib.import_module("claimline_client.models")
    enums = {
        name: frozenset(member.value for member in cls)
        for name in models.__all__
        if isinstance(cls := getattr(models, name), type) and issubclass(cls, enum.Enum)
    }
    assert len(set(enums.values())) == len(enums), enums
    assert enums["DateMatch"] == {"overlap", "within"}
    assert {"EventType", "Hedge", "Facet", "ActorKind", "Qualifier"} <= set(enums)
    # Each operation's date_match is that one class, not a copy named after the operation.
    for module in ("events.list_events", "events.get_timeline", "events.count_event_facets",
                   "claims.list_claims"):  # fmt: skip
        source = inspect.getsource(importlib.import_module(f"claimline_client.api.{module}"))
        assert "date_match: DateMatch | Unset" in source, module


TS_DIR = Path(__file__).parent / "clients" / "ts"


def _ts_unavailable(reason: str) -> None:
    require("the TypeScript client check", reason, "TypeScript client check skipped")


def _installed(modules: Path) -> bool:
    """node_modules holds what package-lock.json pins (npm records it in .package-lock.json)."""
    recorded = modules / ".package-lock.json"
    if not recorded.exists():
        return False
    versions = [
        {k: v.get("version") for k, v in json.loads(path.read_text())["packages"].items() if k}
        for path in (TS_DIR / "package-lock.json", recorded)
    ]
    return versions[0] == versions[1]


@pytest.fixture(scope="session")
def ts_node_modules() -> Path:
    """tests/clients/ts/node_modules as package-lock.json pins it, installed by `npm ci`
    (.ci/run does it first) when absent or stale."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _ts_unavailable("node and npm are not on PATH (Debian: apt-get install nodejs npm)")
    modules = TS_DIR / "node_modules"
    if not _installed(modules):
        result = subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund"], cwd=TS_DIR,
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if result.returncode != 0 or not _installed(modules):
            _ts_unavailable(f"`npm ci` in {TS_DIR} failed:\n{result.stdout}{result.stderr}")
    return modules


def _node(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["node", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"node {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_generated_typescript_client_reads_etag_and_link(
    server: str, spec: dict[str, Any], ts_node_modules: Path, tmp_path: Path
) -> None:
    """openapi-typescript types the served document, tsc checks them and check.ts (declared
    headers, one DateMatch), and openapi-fetch reads events, ETag and Link from a server."""
    (tmp_path / "openapi.json").write_text(json.dumps(spec), encoding="utf-8")
    for name in ("check.ts", "tsconfig.json"):
        shutil.copyfile(TS_DIR / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(ts_node_modules, target_is_directory=True)
    cli = "node_modules/openapi-typescript/bin/cli.js"
    _node(cli, "openapi.json", "--output", "schema.d.ts", cwd=tmp_path)
    types = (tmp_path / "schema.d.ts").read_text(encoding="utf-8")
    assert '"overlap" | "within"' in types
    assert types.count('"overlap" | "within"') == 1, "DateMatch is spelled out more than once"
    assert types.count('date_match?: components["schemas"]["DateMatch"]') == len(LISTINGS)
    _node("node_modules/typescript/bin/tsc", "-p", "tsconfig.json", cwd=tmp_path)

    read = json.loads(_node("out/check.js", server, cwd=tmp_path))
    params = {
        "actor": "DPRK",
        "limit": 2,
        "date_match": "within",
        "from": "2024-10",
        "to": "2024-12",
    }
    # Node's fetch asks for these codings; the ETag names the coding it is for.
    direct = httpx.get(
        f"{server}/events", params=params, headers={"Accept-Encoding": "gzip, deflate"}
    )
    body = direct.json()
    assert read["ids"] == [event["id"] for event in body["data"]]
    assert read["dateMatch"] == "within"
    assert read["etag"] == direct.headers["etag"]
    assert read["cacheControl"] == "public, no-cache"
    assert read["link"] == direct.headers["link"] == f'<{body["next"]}>; rel="next"'
    assert (read["next"], read["nextCursor"]) == (body["next"], body["next_cursor"])
    following = httpx.get(f"{server}/events", params={**params, "cursor": body["next_cursor"]})
    assert read["secondIds"] == [event["id"] for event in following.json()["data"]]
    assert (read["unchangedStatus"], read["unchangedEtag"]) == (304, read["etag"])
    assert read["hedges"] == [c["hedge"] for e in body["data"] for c in e["claims"]]

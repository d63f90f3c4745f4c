"""Where SQL lives: SQL text and the driver's own cursor only in app/raw_sql.py, whose
statements take their shape, never a request's values, as arguments."""

from __future__ import annotations

import ast
import re
import typing
from datetime import date
from pathlib import Path

import pytest

from app import raw_sql
from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
RAW_SQL = APP / "raw_sql.py"
# A statement's first word, as SQL is written here (upper case, followed by a space).
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|COPY|VALUES)\s")
RAW_ACCESS = {"driver_connection", "exec_driver_sql", "dbapi_connection"}


def _modules() -> list[Path]:
    return sorted(
        p for p in APP.rglob("*.py") if not p.name.startswith("_") or p.name == "__init__.py"
    )


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are statements (docstrings), not values."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def _sql_strings(tree: ast.AST) -> list[tuple[int, str]]:
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in skip and SQL.search(node.value):
            found.append((node.lineno, node.value))
    return found


def test_the_scan_finds_sql_text() -> None:
    """The check below would catch SQL text: it finds raw_sql's own."""
    tree = ast.parse(RAW_SQL.read_text(encoding="utf-8"))
    assert len(_sql_strings(tree)) >= 10


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP)))
def test_no_sql_text_or_raw_cursor_outside_raw_sql(path: Path) -> None:
    if path == RAW_SQL:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _sql_strings(tree) == []
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & RAW_ACCESS
    calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "text"
    ]  # fmt: skip
    assert calls == [], "sqlalchemy.text() belongs in app/raw_sql.py"


SHAPE_TYPES = (bool, int)


def test_statement_builders_take_shapes_not_values() -> None:
    """Every function of raw_sql that formats SQL takes, besides the connection and the
    Python functions it registers, only booleans, counts and fixed names (Literal): a
    request's value cannot reach a statement's text, only its bound parameters."""
    tree = ast.parse(RAW_SQL.read_text(encoding="utf-8"))
    builders = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(n, ast.JoinedStr) for n in ast.walk(node))
    ]
    assert "page_statement" in builders
    for name in builders:
        function = getattr(raw_sql, name)
        function = getattr(function, "__wrapped__", function)
        hints = typing.get_type_hints(function)
        hints.pop("return", None)
        for param, hint in hints.items():
            origin = typing.get_origin(hint)
            if hint in SHAPE_TYPES or origin is typing.Literal:
                continue
            if origin is tuple and set(typing.get_args(hint)) <= {bool, Ellipsis}:
                continue
            # The connection, a compiler and its element, or a Python function to register.
            if getattr(hint, "__name__", "") in ("Connection", "SQLCompiler", "FullTextMatch"):
                continue
            if hint is typing.Any and param == "kw":
                continue  # the compiler's own options
            if origin is not None and getattr(origin, "__name__", "") == "Callable":
                continue
            if name == "sqlite_rows" and param in ("sql", "params"):
                continue  # runs a built statement; the values are bound
            pytest.fail(f"raw_sql.{name}({param}: {hint}) could carry a value into SQL text")


def test_page_statement_text_does_not_hold_the_values() -> None:
    """The same shape, whatever the values: the text is one cached object."""
    first = raw_sql.page_statement("actor", 1, (True, False), True, True, False, True)
    again = raw_sql.page_statement("actor", 1, (True, False), True, True, False, True)
    assert first is again
    assert ":k0" in first[1] and ":floor0" in first[1] and ":floor1" not in first[1]
    assert date.today().isoformat() not in first[1]


def test_distinct_rows_skips_repeats_and_reads_no_further_than_the_page() -> None:
    """A claimant's rows repeat an event once per claim: the page holds n distinct events
    however many repeats come first, and the cursor is read no further than that."""
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite://")
    # Event e0 claimed 9 times, then e1..e5 once each.
    rows = [("2024-01-01", "e0")] * 9 + [(f"2024-01-0{i + 1}", f"e{i}") for i in range(1, 6)]
    read: list[str] = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.create_function("seen", 1, lambda i: read.append(i) or b"body", deterministic=True)
        conn.execute(text("CREATE TABLE t (d TEXT, id TEXT)"))
        # In index order, as the claims' timeline index gives them: nothing is sorted first.
        conn.execute(text("CREATE INDEX ix_t ON t (d, id)"))
        conn.execute(text("INSERT INTO t VALUES (:d, :id)"), [{"d": d, "id": i} for d, i in rows])
        sql = "SELECT d, id, seen(id) FROM t ORDER BY d, id"
        got = raw_sql.distinct_rows(conn, sql, {}, 3)
        assert [r[1] for r in got] == ["e0", "e1", "e2"]
        assert got[0] == (date(2024, 1, 1), "e0", b"body")
        assert len(read) <= 9 + 2 + 1  # the repeats, e1, e2, and at most one row ahead
        # Fewer events than asked: all of them, once each.
        got = raw_sql.distinct_rows(conn, sql, {}, 10)
        assert [r[1] for r in got] == [f"e{i}" for i in range(6)]

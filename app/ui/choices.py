"""The page's own small look-ups besides the API's queries: the articles the filter form
offers by name, and the language of the articles a page quotes. Neither selects results.

The articles offered are the first few by publication, read without /documents' claim
counts, so a page stays cheap however many documents the database holds (any id can
still be typed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from app.models import documents_table as D

MAX_CHOICES = 100


def article_choices(conn: Connection) -> Sequence[Any]:
    stmt = select(D.c.id, D.c.title).order_by(D.c.published_earliest, D.c.id).limit(MAX_CHOICES)
    return conn.execute(stmt).all()


def languages(conn: Connection, document_ids: Iterable[str]) -> dict[str, str]:
    """Each document's language, so that a quote is read out in its own (`lang`)."""
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    stmt = select(D.c.id, D.c.language).where(D.c.id.in_(ids))
    return {row.id: row.language for row in conn.execute(stmt)}

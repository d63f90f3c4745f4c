"""The articles the filter form offers by name. A suggestion list, not a result: the first
few by publication, read without /documents' claim counts, so a page stays cheap however
many documents the database holds (any id can still be typed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from app.models import documents_table as D

MAX_CHOICES = 100


def article_choices(conn: Connection) -> Sequence[Any]:
    stmt = select(D.c.id, D.c.title).order_by(D.c.published_earliest, D.c.id).limit(MAX_CHOICES)
    return conn.execute(stmt).all()

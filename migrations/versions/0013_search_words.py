"""search indexes hold the words app/search.py defines: FTS5's ascii tokenizer on SQLite,
lexemes made in Python on PostgreSQL

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='', detail=none, "
    "columnsize=0, tokenize='{}')"
)


def _search_fts(tokenizer: str) -> None:
    # The entries' words change on both databases (app/search.py says how): PostgreSQL's
    # lexemes came from its own parser and unaccent, SQLite's tokens from unicode61. The
    # index is emptied or left as it was, and the derived tables marked stale, so the next
    # `serve` or load rebuilds them with the words of the code that reads them.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
        op.execute(_FTS.format(tokenizer))
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")


def upgrade() -> None:
    _search_fts("ascii")


def downgrade() -> None:
    _search_fts("unicode61 remove_diacritics 2")

"""search_entries and their full-text index (FTS5 on SQLite, tsvector + GIN on PostgreSQL);
actor_ancestors

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # unaccent folds accents before indexing, as app/search.py folds the query's words.
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("claim_id", sa.String(length=120), nullable=True),
        sa.Column("known_from", sa.Date(), nullable=True),
        sa.Column("tsv", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name="fk_search_entries_claim_id_claims",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_search_entries_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_search_entries"),
    )  # fmt: skip
    op.create_index("ix_search_entries_event_id_id", "search_entries", ["event_id", "id"])
    if postgres:
        op.execute("CREATE INDEX ix_search_entries_tsv ON search_entries USING gin (tsv)")
    else:
        # Contentless: the words are indexed, the text stays in events and claims. Searches
        # are ANDs of words and prefixes, never phrases, so no positions are kept
        # (detail=none): a third faster to build at 1M events.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='', detail=none, "
            "columnsize=0, tokenize='unicode61 remove_diacritics 2')"
        )
    op.create_table(
        "actor_ancestors",
        sa.Column("actor_id", sa.String(length=120), nullable=False),
        sa.Column("ancestor_id", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name="fk_actor_ancestors_actor_id_actors",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ancestor_id"], ["actors.id"], name="fk_actor_ancestors_ancestor_id_actors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", "ancestor_id", name="pk_actor_ancestors"),
        sqlite_with_rowid=False,
    )  # fmt: skip
    # The derived tables now include these: have them rebuilt (`claimline serve` does).
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table("actor_ancestors")
    op.drop_table("search_entries")

"""ids and codes compared byte by byte on PostgreSQL (COLLATE "C")

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every length-limited string column: the ids and codes (app/models.py says why). Free text
# (TEXT and unbounded VARCHAR) keeps the server's collation. SQLite already compares
# strings byte by byte (BINARY): nothing changes there.
_COLUMNS = (
    ("actors", (("id", 120), ("kind", 40), ("parent_id", 120), ("iso3", 3), ("wikidata", 20))),
    ("actor_aliases", (("normalized", 200), ("actor_id", 120), ("name", 200), ("lang", 8))),
    ("documents", (("id", 120), ("file_name", 200), ("outlet_id", 120), ("language", 8),
                   ("published", 60), ("published_precision", 10), ("published_basis", 10),
                   ("published_confidence", 10), ("sha256", 64))),
    ("events", (("id", 120), ("type", 40), ("date_edtf", 60), ("date_precision", 10))),
    ("event_actors", (("event_id", 120), ("actor_id", 120), ("role", 20))),
    ("claims", (("id", 120), ("event_id", 120), ("document_id", 120), ("claimant_id", 120),
                ("stance", 20), ("hedge", 20), ("claimed_edtf", 60),
                ("event_date_precision", 10))),
    ("claim_via", (("claim_id", 120), ("actor_id", 120))),
    ("figures", (("claim_id", 120), ("quantity", 40), ("qualifier", 20), ("unit", 20))),
    ("dataset_meta", (("key", 60),)),
    ("actor_events", (("actor_id", 120), ("date_precision", 10), ("event_id", 120),
                      ("type", 40))),
    ("event_json", (("event_id", 120),)),
    ("search_entries", (("event_id", 120), ("claim_id", 120))),
    ("actor_ancestors", (("actor_id", 120), ("ancestor_id", 120))),
    ("running_counts", (("scope_kind", 10), ("scope", 120), ("value", 120))),
)  # fmt: skip


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One ALTER TABLE a table: its indexes (whose order changes) are rebuilt once, and the
    # rows are not rewritten (the type stays varchar). A column and the key it references
    # must not disagree for long: all tables change in this one transaction.
    for table, columns in _COLUMNS:
        changes = ", ".join(
            f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"'
            for name, length in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")
    # search_entries are numbered in timeline order, (earliest, event id): on a server
    # whose collation orders ids otherwise, the numbers no longer follow the order the
    # queries now use, so the derived tables are marked stale and the next `serve` or
    # load rebuilds them. Kept only where the default collation is a C locale by name and
    # orders a few telling pairs (case, punctuation) as bytes do; an ICU default fails them.
    op.execute(
        "DELETE FROM dataset_meta WHERE key = 'derived_version' AND NOT ("
        "(SELECT datcollate FROM pg_database WHERE datname = current_database()) "
        "IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8') "
        "AND 'B' < 'a' COLLATE \"default\" AND 'a-b' < 'ab' COLLATE \"default\")"
    )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")

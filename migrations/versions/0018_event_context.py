"""events.context: background the documents recall rather than report, for `context=`

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rows_change() -> None:
    # Every event's JSON gains (or loses) `context`: the stored bodies are stale, and so is
    # every ETag a client kept, since a 304 would confirm a body of the other shape. A new
    # data version and stale derived tables make the next `serve` or `migrate` rebuild
    # them. The column comes with no curator's marks: the rows no longer hold what the
    # seeds they were loaded from say, so their digest is one no seeds have, and `serve`
    # loads the seeds again (data with no digest, such as generated data, is left as it is).
    op.execute("UPDATE dataset_meta SET value = value || '-0018' WHERE key = 'data_version'")
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")
    op.execute("UPDATE dataset_meta SET value = 'before-0018' WHERE key = 'seeds_digest'")


def upgrade() -> None:
    # A plain ADD COLUMN (not batch mode): batch mode copies the table and drops the old
    # one, and with foreign keys on, that drop deletes every event's actors and claims
    # (ON DELETE CASCADE). Every event is news until a load says otherwise.
    op.execute("ALTER TABLE events ADD COLUMN context BOOLEAN DEFAULT false NOT NULL")
    _rows_change()


def downgrade() -> None:
    op.execute("ALTER TABLE events DROP COLUMN context")
    _rows_change()

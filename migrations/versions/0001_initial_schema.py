"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "actors",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("parent_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("iso3", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("wikidata", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["actors.id"],
            name=op.f("fk_actors_parent_id_actors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
    )
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actors_kind"), ["kind"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("date_edtf", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("date_earliest", sa.Date(), nullable=False),
        sa.Column("date_latest", sa.Date(), nullable=False),
        sa.Column("date_precision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("date_approximate", sa.Boolean(), nullable=False),
        sa.Column("date_uncertain", sa.Boolean(), nullable=False),
        sa.Column("date_basis", sa.Text(), nullable=False),
        sa.Column("location_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("location_lat", sa.Float(), nullable=True),
        sa.Column("location_lon", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_date_earliest_id", ["date_earliest", "id"], unique=False)
        batch_op.create_index("ix_events_date_latest", ["date_latest"], unique=False)
        batch_op.create_index("ix_events_type", ["type"], unique=False)

    op.create_table(
        "actor_aliases",
        sa.Column("normalized", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_actor_aliases_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("normalized", name=op.f("pk_actor_aliases")),
    )
    with op.batch_alter_table("actor_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_actor_aliases_actor_id", ["actor_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outlet_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("outlet_evidence", sa.Text(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("published", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("published_earliest", sa.Date(), nullable=False),
        sa.Column("published_latest", sa.Date(), nullable=False),
        sa.Column(
            "published_precision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False
        ),
        sa.Column("published_basis", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column(
            "published_confidence", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False
        ),
        sa.Column("published_evidence", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["actors.id"],
            name=op.f("fk_documents_outlet_id_actors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_table(
        "event_actors",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_event_actors_actor_id_actors"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_actors_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "actor_id", "role", name=op.f("pk_event_actors")),
    )
    with op.batch_alter_table("event_actors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_actors_actor_id_event_id", ["actor_id", "event_id"], unique=False
        )

    op.create_table(
        "claims",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("claimant_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("quote_start", sa.Integer(), nullable=False),
        sa.Column("quote_end", sa.Integer(), nullable=False),
        sa.Column("stance", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("hedge", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("claimed_edtf", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("claimed_earliest", sa.Date(), nullable=True),
        sa.Column("claimed_latest", sa.Date(), nullable=True),
        sa.Column("known_from", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimant_id"],
            ["actors.id"],
            name=op.f("fk_claims_claimant_id_actors"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_claims_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_claims_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claims_claimant_id_event_id", ["claimant_id", "event_id"], unique=False
        )
        batch_op.create_index("ix_claims_document_id", ["document_id"], unique=False)
        batch_op.create_index("ix_claims_event_id", ["event_id"], unique=False)
        batch_op.create_index("ix_claims_known_from", ["known_from"], unique=False)

    op.create_table(
        "claim_via",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_claim_via_actor_id_actors"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_via_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_via")),
    )
    with op.batch_alter_table("claim_via", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_via_actor_id_claim_id", ["actor_id", "claim_id"], unique=False
        )

    op.create_table(
        "figures",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("low", sa.Integer(), nullable=True),
        sa.Column("high", sa.Integer(), nullable=True),
        sa.Column("qualifier", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_figures_claim_id_claims"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_figures")),
    )


def downgrade() -> None:

    op.drop_table("figures")
    with op.batch_alter_table("claim_via", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_via_actor_id_claim_id")

    op.drop_table("claim_via")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_known_from")
        batch_op.drop_index("ix_claims_event_id")
        batch_op.drop_index("ix_claims_document_id")
        batch_op.drop_index("ix_claims_claimant_id_event_id")

    op.drop_table("claims")
    with op.batch_alter_table("event_actors", schema=None) as batch_op:
        batch_op.drop_index("ix_event_actors_actor_id_event_id")

    op.drop_table("event_actors")
    op.drop_table("documents")
    with op.batch_alter_table("actor_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_actor_aliases_actor_id")

    op.drop_table("actor_aliases")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type")
        batch_op.drop_index("ix_events_date_latest")
        batch_op.drop_index("ix_events_date_earliest_id")

    op.drop_table("events")
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actors_kind"))

    op.drop_table("actors")

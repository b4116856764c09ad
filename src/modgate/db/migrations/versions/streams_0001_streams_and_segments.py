"""live streams and their segments; each event keeps its tenant

Revision ID: streams_0001
Revises:

A live stream is a durable job held under a lease (``streams``) with its segments
(``stream_segments``). Events about a stream belong to no moderation, so the event log keeps
the tenant of each event (older rows: none, their moderation's).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import modgate.db.base

revision = "streams_0001"
down_revision = None
branch_labels = ("streams",)
depends_on = ("core_0003", "pipeline_0002")

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "streams",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("context", JSON, nullable=False),
        sa.Column("fps", sa.Float(), nullable=False),
        sa.Column("terminate_on", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(length=128), nullable=True),
        sa.Column("locked_until", modgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("holds", sa.Integer(), nullable=False),
        sa.Column("origin_seconds", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("last_sample_ms", sa.Integer(), nullable=True),
        sa.Column("skipped_ms", sa.Integer(), nullable=False),
        sa.Column("gaps", JSON, nullable=False),
        sa.Column("last_action", sa.String(length=16), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", modgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", modgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", modgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", modgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streams")),
    )
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.create_index("ix_streams_tenant_created_at", ["tenant", "created_at"])
        batch_op.create_index("ix_streams_status_locked_until", ["status", "locked_until"])
    op.create_table(
        "stream_segments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("stream_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("parent", sa.String(length=128), nullable=False),
        sa.Column("taxonomy_level", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("last_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=True),
        sa.Column("thumbnail", sa.String(length=255), nullable=True),
        sa.Column("created_at", modgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_stream_segments_stream_id_streams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_segments")),
    )
    with op.batch_alter_table("stream_segments", schema=None) as batch_op:
        batch_op.create_index("ix_stream_segments_stream_start", ["stream_id", "start_ms"])
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant", sa.String(length=63), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("tenant")
    op.drop_table("stream_segments")
    op.drop_table("streams")

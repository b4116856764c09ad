"""custom labels and their versions

Revision ID: labels_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modgate.db.base

revision = "labels_0001"
down_revision = None
branch_labels = ("labels",)
depends_on = "core_0003"


def upgrade() -> None:
    op.create_table(
        "custom_labels",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("parent", sa.String(length=128), nullable=True),
        sa.Column("backbone", sa.String(length=40), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("created_at", modgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", modgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_labels")),
        sa.UniqueConstraint("name", name=op.f("uq_custom_labels_name")),
    )
    with op.batch_alter_table("custom_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custom_labels_tenant"), ["tenant"], unique=False)
    op.create_table(
        "custom_label_versions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("label_id", sa.String(length=40), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("head_key", sa.String(length=255), nullable=True),
        sa.Column("examples_key", sa.String(length=255), nullable=True),
        sa.Column("metrics", modgate.db.base.JSONType, nullable=False),
        sa.Column("card", modgate.db.base.JSONType, nullable=False),
        sa.Column("shadow", modgate.db.base.JSONType, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", modgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", modgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["custom_labels.id"],
            name=op.f("fk_custom_label_versions_label_id_custom_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_label_versions")),
        sa.UniqueConstraint(
            "label_id", "version", name=op.f("uq_custom_label_versions_label_id")
        ),
    )
    with op.batch_alter_table("custom_label_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_label_versions_tenant"), ["tenant"], unique=False
        )


def downgrade() -> None:
    op.drop_table("custom_label_versions")
    op.drop_table("custom_labels")

"""custom-label training jobs: what to train from, and who holds the job under which lease

Revision ID: labels_0002
Revises: labels_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modgate.db.base

revision = "labels_0002"
down_revision = "labels_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custom_label_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("locked_until", modgate.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("request", modgate.db.base.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("custom_label_versions", schema=None) as batch_op:
        batch_op.drop_column("request")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("locked_by")
        batch_op.drop_column("attempts")

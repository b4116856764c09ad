"""moderation text findings

Revision ID: text_0001
Revises:

What the text detectors found in a moderation's texts (a submitted text, a caption, text read
in an image or a video), kept with the moderation's extras in Amazon Comprehend's shape.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modgate.db.base

revision = "text_0001"
down_revision = None
branch_labels = ("text",)
depends_on = ("core_0003", "pipeline_0001")


def upgrade() -> None:
    with op.batch_alter_table("moderation_extras") as batch:
        batch.add_column(sa.Column("text_findings", modgate.db.base.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("moderation_extras") as batch:
        batch.drop_column("text_findings")

"""AWS credentials of API keys

Revision ID: auth_0004
Revises: auth_0003

An API key made with ``--aws`` keeps its secret access key sealed (SigV4 needs the secret).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'auth_0004'
down_revision = 'auth_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aws_secret', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('aws_secret')

"""API key tenants

Revision ID: auth_0003
Revises: auth_0002

Each API key acts for one tenant; keys that exist already act for ``default``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'auth_0003'
down_revision = 'auth_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('tenant', sa.String(length=63), server_default='default', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('tenant')

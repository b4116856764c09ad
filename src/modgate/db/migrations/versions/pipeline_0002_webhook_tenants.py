"""webhook endpoint tenants

Revision ID: pipeline_0002
Revises: pipeline_0001

A webhook endpoint belongs to a tenant (and hears only of its moderations) instead of to the
name of the key that registered it; endpoints that exist already belong to ``default``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'pipeline_0002'
down_revision = 'pipeline_0001'
branch_labels = None
depends_on = 'core_0003'


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('tenant', sa.String(length=63), server_default='default', nullable=False))
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_tenant'), ['tenant'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_tenant'))
        batch_op.drop_column('tenant')

"""tenants of moderations and media

Revision ID: core_0003
Revises: core_0002

Every moderation and media record belongs to a tenant; rows that exist already belong to
``default``. ``client_request_token`` becomes unique per tenant, and media per (tenant, sha256):
the same bytes uploaded by two tenants are two records over one blob. On SQLite both tables are
rebuilt (a unique constraint cannot be dropped there); ``modgate.db.upgrade`` runs migrations
with foreign-key enforcement off and checks every reference afterwards, as SQLite asks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def _tenant() -> sa.Column[str]:
    return sa.Column('tenant', sa.String(length=63), server_default='default', nullable=False)


def upgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(_tenant())
        batch_op.drop_constraint('uq_media_sha256', type_='unique')
        batch_op.create_unique_constraint('uq_media_tenant_sha256', ['tenant', 'sha256'])

    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.add_column(_tenant())
        batch_op.drop_constraint('uq_moderations_client_request_token', type_='unique')
        batch_op.create_unique_constraint(
            'uq_moderations_tenant_client_request_token', ['tenant', 'client_request_token'])
        batch_op.create_index(
            'ix_moderations_tenant_created_at', ['tenant', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.drop_index('ix_moderations_tenant_created_at')
        batch_op.drop_constraint('uq_moderations_tenant_client_request_token', type_='unique')
        batch_op.create_unique_constraint(
            'uq_moderations_client_request_token', ['client_request_token'])
        batch_op.drop_column('tenant')

    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_constraint('uq_media_tenant_sha256', type_='unique')
        batch_op.create_unique_constraint('uq_media_sha256', ['sha256'])
        batch_op.drop_column('tenant')

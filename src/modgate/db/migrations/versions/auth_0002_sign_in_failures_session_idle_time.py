"""sign-in failures, session idle time

Revision ID: auth_0002
Revises: auth_0001

Failed sign-ins are counted in a table so every API process throttles with the same figures.
Console sessions get ``last_seen_at`` for the idle timeout; sessions that exist already start
from their sign-in time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401

import modgate.db.base  # noqa: F401

revision = 'auth_0002'
down_revision = 'auth_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failed_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failures_address', ['address', 'failed_at'], unique=False)
        batch_op.create_index('ix_sign_in_failures_failed_at', ['failed_at'], unique=False)
        batch_op.create_index('ix_sign_in_failures_username_hash', ['username_hash', 'failed_at'], unique=False)

    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_console_sessions_expires_at', ['expires_at'], unique=False)
    op.execute("UPDATE console_sessions SET last_seen_at = created_at")
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=modgate.db.base.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_console_sessions_expires_at')
        batch_op.drop_column('last_seen_at')

    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_failures_username_hash')
        batch_op.drop_index('ix_sign_in_failures_failed_at')
        batch_op.drop_index('ix_sign_in_failures_address')

    op.drop_table('sign_in_failures')

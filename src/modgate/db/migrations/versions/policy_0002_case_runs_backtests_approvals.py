"""policy case runs, backtest reports and approvals (gated activation)

Revision ID: policy_0002
Revises: policy_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import modgate.db.base  # noqa: F401

revision = 'policy_0002'
down_revision = 'policy_0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('policy_approvals',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=False),
    sa.Column('approver', sa.String(length=128), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activation_id', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['version'], ['policy_versions.version'], name=op.f('fk_policy_approvals_version_policy_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_approvals'))
    )
    with op.batch_alter_table('policy_approvals', schema=None) as batch_op:
        batch_op.create_index('ix_policy_approvals_version_surface', ['version', 'surface'], unique=False)

    op.create_table('policy_backtests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=False),
    sa.Column('since', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('until', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('report', JSON, nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['policy_versions.version'], name=op.f('fk_policy_backtests_version_policy_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_backtests'))
    )
    with op.batch_alter_table('policy_backtests', schema=None) as batch_op:
        batch_op.create_index('ix_policy_backtests_version_surface', ['version', 'surface', 'created_at'], unique=False)

    op.create_table('policy_case_runs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('cases_source', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('results', JSON, nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['policy_versions.version'], name=op.f('fk_policy_case_runs_version_policy_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_case_runs'))
    )
    with op.batch_alter_table('policy_case_runs', schema=None) as batch_op:
        batch_op.create_index('ix_policy_case_runs_version_created_at', ['version', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('policy_case_runs')
    op.drop_table('policy_backtests')
    op.drop_table('policy_approvals')

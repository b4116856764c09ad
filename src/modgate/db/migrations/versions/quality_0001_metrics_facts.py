"""metrics facts

Revision ID: quality_0001
Revises:

What the operations metrics count, written with each change: the categories each decision saw
and flagged, the automatic decisions drawn for a blind check with their inclusion probability,
each verdict's facts (claim-to-verdict time, disagreement with the machine) and each checked
decision's categories (weight, stratum, flagged, found); and an index on moderations (tenant,
action, created_at, surface) that counts a tenant's decisions by action without reading the rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import modgate.db.base

revision = 'quality_0001'
down_revision = None
branch_labels = ('quality',)
depends_on = 'core_0003'


def upgrade() -> None:
    op.create_table('check_categories',
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=128), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=True),
    sa.Column('region', sa.String(length=16), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('stratum', sa.String(length=160), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('moderation_id', 'category', name=op.f('pk_check_categories'))
    )
    with op.batch_alter_table('check_categories', schema=None) as batch_op:
        batch_op.create_index('ix_check_categories_tenant_created_at', ['tenant', 'created_at', 'category', 'stratum', 'flagged', 'found', 'weight'], unique=False)

    op.create_table('decision_categories',
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=128), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=True),
    sa.Column('region', sa.String(length=16), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('moderation_id', 'category', name=op.f('pk_decision_categories'))
    )
    with op.batch_alter_table('decision_categories', schema=None) as batch_op:
        batch_op.create_index('ix_decision_categories_tenant_flagged', ['tenant', 'flagged', 'category', 'created_at'], unique=False)

    op.create_table('quality_draws',
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=128), nullable=False),
    sa.Column('bin', sa.String(length=16), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('flagged', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('moderation_id', name=op.f('pk_quality_draws'))
    )
    with op.batch_alter_table('quality_draws', schema=None) as batch_op:
        batch_op.create_index('ix_quality_draws_review_id', ['review_id'], unique=False)
        batch_op.create_index('ix_quality_draws_tenant_created_at', ['tenant', 'created_at'], unique=False)

    op.create_table('verdict_facts',
    sa.Column('verdict_id', sa.String(length=40), nullable=False),
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=True),
    sa.Column('region', sa.String(length=16), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('disagrees', sa.Boolean(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('verdict_id', name=op.f('pk_verdict_facts'))
    )
    with op.batch_alter_table('verdict_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verdict_facts_review_id'), ['review_id'], unique=False)
        batch_op.create_index('ix_verdict_facts_tenant_created_at', ['tenant', 'created_at', 'kind', 'queue', 'seconds', 'disagrees'], unique=False)

    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.create_index('ix_moderations_tenant_action_created_at', ['tenant', 'action', 'created_at', 'surface'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.drop_index('ix_moderations_tenant_action_created_at')

    with op.batch_alter_table('verdict_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_verdict_facts_tenant_created_at')
        batch_op.drop_index(batch_op.f('ix_verdict_facts_review_id'))

    op.drop_table('verdict_facts')
    with op.batch_alter_table('quality_draws', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_draws_tenant_created_at')
        batch_op.drop_index('ix_quality_draws_review_id')

    op.drop_table('quality_draws')
    with op.batch_alter_table('decision_categories', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_categories_tenant_flagged')

    op.drop_table('decision_categories')
    with op.batch_alter_table('check_categories', schema=None) as batch_op:
        batch_op.drop_index('ix_check_categories_tenant_created_at')

    op.drop_table('check_categories')

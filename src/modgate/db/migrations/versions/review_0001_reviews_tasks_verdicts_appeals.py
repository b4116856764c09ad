"""reviews, tasks, verdicts, exclusions, disagreements, appeals, reveals

Revision ID: review_0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

import modgate.db.base  # noqa: F401

revision = 'review_0001'
down_revision = None
branch_labels = ('review',)
depends_on = 'core_0002'


def upgrade() -> None:
    op.create_table('preview_reveals',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preview_reveals'))
    )
    with op.batch_alter_table('preview_reveals', schema=None) as batch_op:
        batch_op.create_index('ix_preview_reveals_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('review_disagreements',
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=128), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('reviewers', sa.Integer(), nullable=False),
    sa.Column('disagreed', sa.Boolean(), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('review_id', 'category', name=op.f('pk_review_disagreements'))
    )
    with op.batch_alter_table('review_disagreements', schema=None) as batch_op:
        batch_op.create_index('ix_review_disagreements_category', ['category', 'created_at'], unique=False)

    op.create_table('review_exclusions',
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('review_id', 'user_id', name=op.f('pk_review_exclusions'))
    )
    op.create_table('review_verdicts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.String(length=40), nullable=False),
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('reviewer_id', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('labels', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('missed', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('seconds_spent', sa.Float(), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_verdicts')),
    sa.UniqueConstraint('task_id', name=op.f('uq_review_verdicts_task_id'))
    )
    with op.batch_alter_table('review_verdicts', schema=None) as batch_op:
        batch_op.create_index('ix_review_verdicts_moderation_id', ['moderation_id'], unique=False)
        batch_op.create_index('ix_review_verdicts_review_id', ['review_id'], unique=False)
        batch_op.create_index('ix_review_verdicts_reviewer_id_created_at', ['reviewer_id', 'created_at'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('appellant', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('previous_action', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('final_action', sa.String(length=16), nullable=True),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['moderation_id'], ['moderations.id'], name=op.f('fk_appeals_moderation_id_moderations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('ix_appeals_moderation_id', ['moderation_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reviewers_needed', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=16), nullable=False),
    sa.Column('selected', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('rule_id', sa.String(length=128), nullable=True),
    sa.Column('policy_version', sa.String(length=64), nullable=True),
    sa.Column('parent_id', sa.String(length=40), nullable=True),
    sa.Column('appeal_id', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['moderation_id'], ['moderations.id'], name=op.f('fk_reviews_moderation_id_moderations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_moderation_id_created_at', ['moderation_id', 'created_at'], unique=False)

    op.create_table('review_tasks',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sort_key', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('available_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=40), nullable=True),
    sa.Column('claimed_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_tasks_review_id_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_tasks'))
    )
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_review_tasks_claim', ['queue', 'status', 'sort_key', 'id'], unique=False)
        batch_op.create_index('ix_review_tasks_claimed_by', ['claimed_by'], unique=False)
        batch_op.create_index('ix_review_tasks_review_id', ['review_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_review_tasks_review_id')
        batch_op.drop_index('ix_review_tasks_claimed_by')
        batch_op.drop_index('ix_review_tasks_claim')

    op.drop_table('review_tasks')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_moderation_id_created_at')

    op.drop_table('reviews')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_moderation_id')

    op.drop_table('appeals')
    with op.batch_alter_table('review_verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_review_verdicts_reviewer_id_created_at')
        batch_op.drop_index('ix_review_verdicts_review_id')
        batch_op.drop_index('ix_review_verdicts_moderation_id')

    op.drop_table('review_verdicts')
    op.drop_table('review_exclusions')
    with op.batch_alter_table('review_disagreements', schema=None) as batch_op:
        batch_op.drop_index('ix_review_disagreements_category')

    op.drop_table('review_disagreements')
    with op.batch_alter_table('preview_reveals', schema=None) as batch_op:
        batch_op.drop_index('ix_preview_reveals_user_id_created_at')

    op.drop_table('preview_reveals')

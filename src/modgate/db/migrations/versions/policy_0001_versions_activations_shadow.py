"""policy versions, activations, shadow runs and shadow decisions

Revision ID: policy_0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

import modgate.db.base  # noqa: F401

revision = 'policy_0001'
down_revision = None
branch_labels = ('policy',)
depends_on = 'core_0001'


def upgrade() -> None:
    op.create_table('policy_versions',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_policy_versions'))
    )
    op.create_index(op.f('ix_policy_versions_name'), 'policy_versions', ['name'], unique=False)
    op.create_table('policy_activations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('activated_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deactivated_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['version'], ['policy_versions.version'], name=op.f('fk_policy_activations_version_policy_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_activations'))
    )
    op.create_index('ix_policy_activations_surface_activated_at', 'policy_activations', ['surface', 'activated_at'], unique=False)
    op.create_index('uq_policy_activations_active_surface', 'policy_activations', ['surface'], unique=True,
                    sqlite_where=sa.text('deactivated_at IS NULL'), postgresql_where=sa.text('deactivated_at IS NULL'))
    op.create_table('policy_shadows',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('surface', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('started_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['version'], ['policy_versions.version'], name=op.f('fk_policy_shadows_version_policy_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_shadows'))
    )
    op.create_index('ix_policy_shadows_surface', 'policy_shadows', ['surface'], unique=False)
    op.create_table('shadow_decisions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('moderation_id', sa.String(length=40), nullable=True),
    sa.Column('surface', sa.String(length=64), nullable=False),
    sa.Column('candidate_version', sa.String(length=64), nullable=False),
    sa.Column('active_version', sa.String(length=64), nullable=True),
    sa.Column('candidate_action', sa.String(length=16), nullable=False),
    sa.Column('candidate_rule', sa.String(length=128), nullable=False),
    sa.Column('active_action', sa.String(length=16), nullable=True),
    sa.Column('active_rule', sa.String(length=128), nullable=True),
    sa.Column('decision', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shadow_decisions'))
    )
    op.create_index('ix_shadow_decisions_surface_created_at', 'shadow_decisions', ['surface', 'created_at'], unique=False)
    op.create_index('ix_shadow_decisions_moderation_id', 'shadow_decisions', ['moderation_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shadow_decisions_moderation_id', table_name='shadow_decisions')
    op.drop_index('ix_shadow_decisions_surface_created_at', table_name='shadow_decisions')
    op.drop_table('shadow_decisions')
    op.drop_index('ix_policy_shadows_surface', table_name='policy_shadows')
    op.drop_table('policy_shadows')
    op.drop_index('uq_policy_activations_active_surface', table_name='policy_activations')
    op.drop_index('ix_policy_activations_surface_activated_at', table_name='policy_activations')
    op.drop_table('policy_activations')
    op.drop_index(op.f('ix_policy_versions_name'), table_name='policy_versions')
    op.drop_table('policy_versions')

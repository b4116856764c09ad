"""media and moderations

Revision ID: core_0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

import modgate.db.base  # noqa: F401

revision = 'core_0001'
down_revision = None
branch_labels = ('core',)
depends_on = None


def upgrade() -> None:
    op.create_table('media',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('mime', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('frame_count', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('codec', sa.String(length=32), nullable=True),
    sa.Column('frame_rate', sa.Float(), nullable=True),
    sa.Column('blob_key', sa.String(length=255), nullable=False),
    sa.Column('preview_key', sa.String(length=255), nullable=True),
    sa.Column('blurred_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('sha256', name=op.f('uq_media_sha256'))
    )
    op.create_table('moderations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('media_id', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('client_request_token', sa.String(length=128), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('surface', sa.String(length=64), nullable=True),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('model_version', sa.String(length=255), nullable=True),
    sa.Column('labels', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('content_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('rule_id', sa.String(length=128), nullable=True),
    sa.Column('policy_version', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('verdict', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('final_action', sa.String(length=16), nullable=True),
    sa.Column('error', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_moderations_media_id_media')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderations')),
    sa.UniqueConstraint('client_request_token', name=op.f('uq_moderations_client_request_token'))
    )
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.create_index('ix_moderations_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderations_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_moderations_surface_created_at', ['surface', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.drop_index('ix_moderations_surface_created_at')
        batch_op.drop_index(batch_op.f('ix_moderations_sha256'))
        batch_op.drop_index('ix_moderations_created_at')

    op.drop_table('moderations')
    op.drop_table('media')

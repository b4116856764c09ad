"""per-tenant retention settings; when media bytes were deleted or erased; indexes to find
who else holds some bytes and the moderations of a media record

Revision ID: retention_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modgate.db.base  # noqa: F401

revision = 'retention_0001'
down_revision = None
branch_labels = ('retention',)
depends_on = 'core_0003'


def upgrade() -> None:
    op.create_table('retention_settings',
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('originals_days', sa.Integer(), nullable=True),
    sa.Column('previews_days', sa.Integer(), nullable=True),
    sa.Column('thumbnails_days', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', modgate.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', name=op.f('pk_retention_settings'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('originals_deleted_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('previews_deleted_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('thumbnails_deleted_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('erased_at', modgate.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_media_sha256', ['sha256'], unique=False)
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.create_index('ix_moderations_media_id', ['media_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.drop_index('ix_moderations_media_id')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index('ix_media_sha256')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('thumbnails_deleted_at')
        batch_op.drop_column('previews_deleted_at')
        batch_op.drop_column('originals_deleted_at')
    op.drop_table('retention_settings')

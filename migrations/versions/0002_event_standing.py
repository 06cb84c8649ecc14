"""event_standing: when each event stands, by publication date

Revision ID: 0002
Revises: 0001
A projection (derived from the log, rebuilt by `timeline init` after the
upgrade): "known at" queries read its spans instead of replaying the log.

Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_standing',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('known_from', sa.String(length=10), nullable=False),
    sa.Column('known_until', sa.String(length=10), nullable=True),
    sa.Column('event_id', sa.String(length=300), nullable=False),
    sa.Column('entity', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('changed_by', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('seq', 'known_from')
    )
    with op.batch_alter_table('event_standing', schema=None) as batch_op:
        batch_op.create_index('ix_event_standing_event_id', ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('event_standing', schema=None) as batch_op:
        batch_op.drop_index('ix_event_standing_event_id')
    op.drop_table('event_standing')

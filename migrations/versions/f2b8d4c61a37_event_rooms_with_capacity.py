"""room: an event's rooms and their seats, for the agenda editor

Sessions keep their room's name as text; these rows give the names the editor
offers and each room's capacity.

Revision ID: f2b8d4c61a37
Revises: e5a7c3b91f20
Create Date: 2026-12-07 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f2b8d4c61a37'
down_revision = 'e5a7c3b91f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'room',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_room_capacity_not_negative')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_room_event_id_event'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_room')),
        sa.UniqueConstraint('event_id', 'name', name=op.f('uq_room_event_id_name')),
    )


def downgrade():
    op.drop_table('room')

"""email_text: an event's own subject and body for an automatic email

No row for a kind means the standard template; deleting the row is "reset to
default". Removed with its event.

Revision ID: a3d5e8f1c7b2
Revises: 8e2f4b6a9c13
Create Date: 2026-12-07 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a3d5e8f1c7b2'
down_revision = '8e2f4b6a9c13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'email_text',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_email_text_event_id_event'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_text')),
        sa.UniqueConstraint('event_id', 'kind', name=op.f('uq_email_text_event_id_kind')),
    )


def downgrade():
    op.drop_table('email_text')

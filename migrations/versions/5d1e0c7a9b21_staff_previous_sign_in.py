"""staff: when they signed in before this time, for "since your last visit"

The staff home lists what changed since a staff member's previous sign-in; the
last sign-in is the current one, so the one before it is kept beside it.

Revision ID: 5d1e0c7a9b21
Revises: c38654b46eab
Create Date: 2026-12-07 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5d1e0c7a9b21'
down_revision = 'c38654b46eab'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_sign_in_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('previous_sign_in_at')

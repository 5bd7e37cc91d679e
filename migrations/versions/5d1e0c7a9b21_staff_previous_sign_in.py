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
    # Plain ADD / DROP COLUMN (SQLite 3.35+): a batch would copy staff_user, which
    # tokens and scans reference, and SQLite refuses to drop a table rows point to.
    op.add_column('staff_user', sa.Column('previous_sign_in_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('staff_user', 'previous_sign_in_at')

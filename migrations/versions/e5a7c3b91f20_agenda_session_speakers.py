"""agenda_session: speakers, for the staff agenda editor

Who speaks in a session, as the agenda prints it (names separated by commas).

Revision ID: e5a7c3b91f20
Revises: e7a3c91b5f20
Create Date: 2026-12-07 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e5a7c3b91f20'
down_revision = 'e7a3c91b5f20'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD / DROP COLUMN (SQLite 3.35+): check-ins reference agenda_session rows.
    op.add_column(
        'agenda_session',
        sa.Column('speakers', sa.String(length=300), server_default='', nullable=False),
    )


def downgrade():
    op.drop_column('agenda_session', 'speakers')

"""event: archived_at and contact_email, for the staff event editor

An archived event is off every list while its records stay; the contact email is
the address attendees write to about one event.

Revision ID: d41e2c7a9b10
Revises: 5d1e0c7a9b21
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd41e2c7a9b10'
down_revision = '5d1e0c7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD / DROP COLUMN (SQLite 3.35+): a batch would copy the event table, which
    # registrations reference, and SQLite refuses to drop a table that rows point to.
    op.add_column('event', sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        'event',
        sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False),
    )


def downgrade():
    op.drop_column('event', 'contact_email')
    op.drop_column('event', 'archived_at')

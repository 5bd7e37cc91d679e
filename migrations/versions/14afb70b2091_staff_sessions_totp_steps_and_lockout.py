"""staff session versions, spent TOTP steps, sign-in lockout

A copied staff cookie kept working after sign-out and after a password reset:
``staff_user.session_version`` goes into the session and moves on sign-out,
password change and deactivation. A TOTP code could be used twice in its window:
``staff_user.totp_last_step`` remembers the last one accepted. The code step had
no per-account lockout: ``sign_in_failure`` counts failures per email address
(with an account or not, so a lock tells nothing) and locks it for 15 minutes.
Existing sessions (which hold no version) have to sign in again once.

Revision ID: 14afb70b2091
Revises: 8c1ad6dd4d32
Create Date: 2026-12-07 12:11:34.801090

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '14afb70b2091'
down_revision = '8c1ad6dd4d32'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failure')),
    sa.UniqueConstraint('email', name=op.f('uq_sign_in_failure_email'))
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))



def downgrade():
    # Not in batch mode: SQLite would copy staff_user and drop the original, which its
    # foreign keys refuse once tokens or scans point at a staff member. Both columns
    # have no constraint, so SQLite (3.35 and later) drops them in place.
    op.drop_column('staff_user', 'totp_last_step')
    op.drop_column('staff_user', 'session_version')

    op.drop_table('sign_in_failure')

"""certificate status: pending, issued, revoked or superseded

A certificate's state was read from other columns: a reserved row not yet printed
had no file and a made-up revocation ("pending issue"), and a superseded version
was a revocation whose reason began with "Superseded". ``status`` now says it.
Existing rows get the status those columns meant; reserved rows lose the made-up
revocation. The "one valid certificate per registration" index now reads the
status, and a second index allows one reservation per registration. A CHECK keeps
``revoked_at`` set exactly for revoked and superseded versions.

Revision ID: c38654b46eab
Revises: 6b87c271ea5d
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c38654b46eab'
down_revision = '6b87c271ea5d'
branch_labels = None
depends_on = None

PENDING_REASON = "pending issue"
VALID_INDEX = 'uq_certificate_valid_per_registration'
PENDING_INDEX = 'uq_certificate_pending_per_registration'
REVOKED_WHEN = "(revoked_at IS NOT NULL) = (status IN ('revoked', 'superseded'))"


def _partial_index(name, where):
    op.create_index(name, 'certificate', ['registration_id'], unique=True,
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade():
    op.drop_index(VALID_INDEX, table_name='certificate')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=True))

    op.execute(
        "UPDATE certificate SET status = CASE "
        "WHEN file_path = '' THEN 'pending' "
        "WHEN revoked_at IS NULL THEN 'issued' "
        "WHEN revoked_reason LIKE 'Superseded%' THEN 'superseded' "
        "ELSE 'revoked' END"
    )
    op.execute(
        "UPDATE certificate SET revoked_at = NULL, revoked_reason = '' WHERE status = 'pending'"
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20), nullable=False)
        batch_op.create_check_constraint(
            op.f('ck_certificate_status'),
            "status IN ('pending', 'issued', 'revoked', 'superseded')",
        )
        batch_op.create_check_constraint(op.f('ck_certificate_revoked_at'), REVOKED_WHEN)

    _partial_index(VALID_INDEX, "status = 'issued'")
    _partial_index(PENDING_INDEX, "status = 'pending'")


def downgrade():
    """Back to "no file plus a made-up revocation" for reserved rows."""
    op.drop_index(PENDING_INDEX, table_name='certificate')
    op.drop_index(VALID_INDEX, table_name='certificate')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_certificate_revoked_at'), type_='check')
        batch_op.drop_constraint(op.f('ck_certificate_status'), type_='check')
    op.execute(
        sa.text(
            "UPDATE certificate SET revoked_at = issued_at, revoked_reason = :reason, "
            "file_path = '' WHERE status = 'pending'"
        ).bindparams(reason=PENDING_REASON)
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('status')

    _partial_index(VALID_INDEX, "revoked_at IS NULL")

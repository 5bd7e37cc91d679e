"""payment: a reference is unique per registration and method, not across all payments

Two districts may both pay with their check number 1001; the desk refused the
second. A reference is still recorded once per registration and method, so the
same check entered twice, or a Stripe session delivered twice, is refused.

Revision ID: 3c5e8a1f7b42
Revises: f2b8d4c61a37
Create Date: 2026-12-07 15:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '3c5e8a1f7b42'
down_revision = 'f2b8d4c61a37'
branch_labels = None
depends_on = None


def upgrade():
    # A batch (table copy) on SQLite is safe here: no table references payment.
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint('uq_payment_reference', type_='unique')
        batch_op.create_unique_constraint(
            'uq_payment_registration_id_method_reference',
            ['registration_id', 'method', 'reference'],
        )


def downgrade():
    # Fails if two registrations now share a reference: say which before going back.
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint('uq_payment_registration_id_method_reference', type_='unique')
        batch_op.create_unique_constraint('uq_payment_reference', ['reference'])

"""payments at the desk: cash as a method; events that confirm on a purchase order

Door staff take cash or a check from a fee-tier walk-in; districts that pay after
the event give a purchase-order number, and an event may confirm on it.

Revision ID: 9a4c2e6f1d35
Revises: d41e2c7a9b10
Create Date: 2026-12-07 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9a4c2e6f1d35'
down_revision = 'd41e2c7a9b10'
branch_labels = None
depends_on = None

OLD = "method IN ('invoice', 'check', 'card', 'waiver', 'refund')"
NEW = "method IN ('invoice', 'check', 'cash', 'card', 'waiver', 'refund')"


def _method_check(condition):
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint('method', type_='check')
        batch_op.create_check_constraint('method', condition)


def upgrade():
    # The event column in place (a batch would copy event, which rows point to); the
    # payment table is copied for its CHECK, and nothing points to a payment.
    op.add_column('event', sa.Column('confirm_on_purchase_order', sa.Boolean(),
                                     nullable=False, server_default=sa.false()))
    _method_check(NEW)


def downgrade():
    cash = op.get_bind().execute(sa.text("SELECT count(*) FROM payment WHERE method = 'cash'"))
    if cash.scalar():
        raise RuntimeError("Cash payments are recorded; the older schema has no place for them.")
    _method_check(OLD)
    op.drop_column('event', 'confirm_on_purchase_order')

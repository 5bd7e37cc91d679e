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
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirm_on_purchase_order', sa.Boolean(),
                                      nullable=False, server_default=sa.false()))
    _method_check(NEW)


def downgrade():
    _method_check(OLD)
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('confirm_on_purchase_order')

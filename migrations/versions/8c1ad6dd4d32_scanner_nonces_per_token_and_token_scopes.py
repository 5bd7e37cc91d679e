"""scanner nonces per token, and token scopes (role and events)

A check-in's nonce was unique across the whole table, so a second scanner that
picked a nonce the first had used was answered with the first scanner's result
and its own ticket was never checked in. Nonces are now unique per scanner:
``checkin.nonce_scope`` is ``token:<id>`` for a scanner app and ``staff:<id>`` at
a desk, and ``checkin.api_token_id`` says which token recorded a scan. Existing
scans keep their nonces in the scope of the staff member who made them.

API tokens get a scope: ``role`` (admin or checkin) and the events they may see
(``api_token_event``, or ``all_events``). Existing tokens keep what they could do:
their staff member's role, every event.

Revision ID: 8c1ad6dd4d32
Revises: 9a4c2e6f1d35
Create Date: 2026-12-07 12:01:52.886233

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c1ad6dd4d32'
down_revision = '9a4c2e6f1d35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_token_event',
    sa.Column('api_token_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_token.id'], name=op.f('fk_api_token_event_api_token_id_api_token'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_api_token_event_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('api_token_id', 'event_id', name=op.f('pk_api_token_event'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('all_events', sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE api_token SET all_events = TRUE, role = (SELECT staff_user.role FROM staff_user "
        "WHERE staff_user.id = api_token.staff_user_id)"
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('all_events', existing_type=sa.Boolean(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_api_token_role'), "role IN ('admin', 'checkin')")

    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce_scope', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('api_token_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_checkin_nonce'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_checkin_nonce_scope_nonce'), ['nonce_scope', 'nonce'])
        batch_op.create_foreign_key(batch_op.f('fk_checkin_api_token_id_api_token'), 'api_token', ['api_token_id'], ['id'])
    op.execute(
        "UPDATE checkin SET nonce_scope = 'staff:' || CAST(staff_user_id AS VARCHAR(20)) "
        "WHERE staff_user_id IS NOT NULL"
    )


def downgrade():
    # Nonces used by two scanners would break the old unique constraint: the later
    # scanner's copy is renamed so nothing is lost.
    op.execute(
        "UPDATE checkin SET nonce = nonce || '~' || CAST(id AS VARCHAR(20)) WHERE nonce IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM checkin AS other WHERE other.nonce = checkin.nonce "
        "AND other.id < checkin.id)"
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkin_api_token_id_api_token'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_checkin_nonce_scope_nonce'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_checkin_nonce'), ['nonce'])
        batch_op.drop_column('api_token_id')
        batch_op.drop_column('nonce_scope')

    op.drop_table('api_token_event')  # first: SQLite copies api_token below
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_token_role'), type_='check')
        batch_op.drop_column('all_events')
        batch_op.drop_column('role')

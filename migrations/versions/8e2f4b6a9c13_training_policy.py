"""training_policy: the ESD's minutes that complete a self-training subject

The statute sets no hours; ESD 105 staff set them on /staff/training/policy
instead of asking for TRAINING_REQUIRED_MINUTES to change. One row; none means
the install's setting applies.

Revision ID: 8e2f4b6a9c13
Revises: 3c5e8a1f7b42
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '8e2f4b6a9c13'
down_revision = '3c5e8a1f7b42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'training_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('required_minutes', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('required_minutes > 0', name=op.f('ck_training_policy_minutes_positive')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_training_policy_updated_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_policy')),
    )


def downgrade():
    op.drop_table('training_policy')

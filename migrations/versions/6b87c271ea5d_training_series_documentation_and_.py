"""training series documentation and significant prior training and experience

RCW 28A.400.345 has no waiver: significant prior training and experience is a
basis for training series documentation as a whole. ``training_waiver`` becomes
``prior_experience`` (what staff reviewed, why, and the files): every row is kept
with its id, reason, author and dates. A waiver "for every topic" becomes an
active record of prior training and experience; a waiver of one subject is kept
readable but withdrawn (at migration time, unless it was revoked before), since it
never said the person's prior training as a whole was significant. Neither had a
record of what was reviewed, and the new column says so.

``proof_of_completion`` (the training series documentation) gets versions: a
re-issue keeps the serial and adds the next version. On-the-job and check-in
training entries name the experienced staff member and the school.

Revision ID: 6b87c271ea5d
Revises: 7801e7526443
Create Date: 2026-12-07 04:43:01.647863

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '6b87c271ea5d'
down_revision = '7801e7526443'
branch_labels = None
depends_on = None

GENERAL = "Not recorded: entered as a waiver of every topic, before what staff reviewed was recorded."
ONE_SUBJECT = "Not recorded: entered as a waiver of one subject only, before what staff reviewed was recorded. Subject: "


def _now(bind):
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now


def _reset_sequence(bind, table):
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))


def upgrade():
    bind = op.get_bind()
    op.create_table('prior_experience',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('reviewed', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_prior_experience_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_prior_experience_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prior_experience'))
    )
    with op.batch_alter_table('prior_experience', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prior_experience_person_id'), ['person_id'], unique=False)

    op.create_table('prior_experience_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prior_experience_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['prior_experience_id'], ['prior_experience.id'], name=op.f('fk_prior_experience_file_prior_experience_id_prior_experience')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prior_experience_file'))
    )
    with op.batch_alter_table('prior_experience_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prior_experience_file_prior_experience_id'), ['prior_experience_id'], unique=False)

    bind.execute(
        sa.text(
            "INSERT INTO prior_experience "
            "(id, person_id, reviewed, reason, recorded_by_id, created_at, withdrawn_at) "
            "SELECT w.id, w.person_id, "
            "CASE WHEN w.topic_id IS NULL THEN :general "
            "ELSE :one_subject || COALESCE(t.title, '') || '.' END, "
            "w.reason, w.granted_by_id, w.created_at, "
            "CASE WHEN w.topic_id IS NULL OR w.revoked_at IS NOT NULL THEN w.revoked_at "
            "ELSE :now END "
            "FROM training_waiver w LEFT JOIN topic t ON t.id = w.topic_id"
        ).bindparams(
            sa.bindparam("general", GENERAL, type_=sa.Text()),
            sa.bindparam("one_subject", ONE_SUBJECT, type_=sa.Text()),
            sa.bindparam("now", _now(bind), type_=sa.DateTime(timezone=True)),
        )
    )
    _reset_sequence(bind, "prior_experience")

    with op.batch_alter_table('training_waiver', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_waiver_person_id'))

    op.drop_table('training_waiver')
    with op.batch_alter_table('proof_of_completion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_constraint(batch_op.f('uq_proof_of_completion_serial'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_proof_of_completion_serial_version'), ['serial', 'version'])

    with op.batch_alter_table('self_training_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('experienced_staff', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('school', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    """Back to waivers "for every topic" (withdrawn records stay withdrawn); the list of
    reviewed files is dropped (the files stay in storage). A re-issued version keeps
    its row, with ``-v<version>`` added to its serial so serials are unique again."""
    bind = op.get_bind()
    with op.batch_alter_table('self_training_entry', schema=None) as batch_op:
        batch_op.drop_column('school')
        batch_op.drop_column('experienced_staff')

    bind.execute(sa.text(
        "UPDATE proof_of_completion SET serial = serial || '-v' || CAST(version AS VARCHAR(10)) "
        "WHERE version > 1"
    ))
    with op.batch_alter_table('proof_of_completion', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_proof_of_completion_serial_version'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_proof_of_completion_serial'), ['serial'])
        batch_op.drop_column('version')

    op.create_table('training_waiver',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['staff_user.id'], name=op.f('fk_training_waiver_granted_by_id_staff_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_training_waiver_person_id_person')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_training_waiver_topic_id_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_waiver'))
    )
    with op.batch_alter_table('training_waiver', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_waiver_person_id'), ['person_id'], unique=False)

    bind.execute(sa.text(
        "INSERT INTO training_waiver (id, person_id, topic_id, reason, granted_by_id, created_at, "
        "revoked_at) SELECT id, person_id, NULL, reason, recorded_by_id, created_at, withdrawn_at "
        "FROM prior_experience"
    ))
    _reset_sequence(bind, "training_waiver")

    with op.batch_alter_table('prior_experience_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prior_experience_file_prior_experience_id'))

    op.drop_table('prior_experience_file')
    with op.batch_alter_table('prior_experience', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prior_experience_person_id'))

    op.drop_table('prior_experience')

"""The caseload schema: records, audit chain, outbox, search index.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('occurred_at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=True),
    sa.Column('record_id', sa.String(length=36), nullable=True),
    sa.Column('young_person_id', sa.String(length=36), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    # AUTOINCREMENT keeps the highest sequence ever used, so a truncated chain shows.
    sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_audit_event_young_person_id'), 'audit_event', ['young_person_id'], unique=False)

    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('op_id', sa.String(length=36), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('operation', sa.String(length=10), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('patch', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('op_id', name=op.f('uq_outbox_op_id'))
    )
    op.create_table('store_setting',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_store_setting'))
    )
    op.create_table('team',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    op.create_table('staff',
    sa.Column('user_name', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=48), nullable=False),
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_staff_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('user_name', name=op.f('uq_staff_user_name'))
    )
    op.create_table('young_person',
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=200), nullable=False),
    sa.Column('preferred_name', sa.String(length=200), nullable=True),
    sa.Column('date_of_birth', sa.String(length=10), nullable=False),
    sa.Column('gender', sa.String(length=48), nullable=True),
    sa.Column('first_language', sa.String(length=80), nullable=True),
    sa.Column('uasc', sa.Boolean(), nullable=False),
    sa.Column('legal_status', sa.String(length=48), nullable=True),
    sa.Column('school', sa.String(length=200), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('keyworker_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['keyworker_id'], ['staff.id'], name=op.f('fk_young_person_keyworker_id_staff')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_young_person_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_young_person')),
    sa.UniqueConstraint('reference', name=op.f('uq_young_person_reference'))
    )
    op.create_index(op.f('ix_young_person_keyworker_id'), 'young_person', ['keyworker_id'], unique=False)
    op.create_index(op.f('ix_young_person_team_id'), 'young_person', ['team_id'], unique=False)

    op.create_table('action',
    sa.Column('young_person_id', sa.String(length=36), nullable=True),
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('source', sa.String(length=48), nullable=False),
    sa.Column('source_id', sa.String(length=36), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('due_on', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('completed_on', sa.String(length=10), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_action_owner_id_staff')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_action_team_id_team')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_action_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    op.create_index(op.f('ix_action_owner_id'), 'action', ['owner_id'], unique=False)
    op.create_index(op.f('ix_action_young_person_id'), 'action', ['young_person_id'], unique=False)

    op.create_table('chronology_event',
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('occurred_on', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=48), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_chronology_event_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chronology_event'))
    )
    op.create_index(op.f('ix_chronology_event_young_person_id'), 'chronology_event', ['young_person_id'], unique=False)

    op.create_table('contact',
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('occurred_at', sa.String(length=32), nullable=False),
    sa.Column('contact_type', sa.String(length=48), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('present', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=True),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('own_words', sa.Text(), nullable=True),
    sa.Column('worries', sa.JSON(), nullable=False),
    sa.Column('significant', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=True),
    sa.Column('finalised_at', sa.String(length=32), nullable=True),
    sa.Column('finalised_by', sa.String(length=120), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_contact_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact'))
    )
    op.create_index('ix_contact_yp_when', 'contact', ['young_person_id', 'occurred_at'], unique=False)

    op.create_table('form_response',
    sa.Column('young_person_id', sa.String(length=36), nullable=True),
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('template_id', sa.String(length=80), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('revision_of', sa.String(length=36), nullable=True),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=True),
    sa.Column('finalised_at', sa.String(length=32), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['revision_of'], ['form_response.id'], name=op.f('fk_form_response_revision_of_form_response')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_form_response_team_id_team')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_form_response_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_response'))
    )
    op.create_index(op.f('ix_form_response_young_person_id'), 'form_response', ['young_person_id'], unique=False)

    op.create_table('goal',
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('set_on', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_goal_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    op.create_index(op.f('ix_goal_young_person_id'), 'goal', ['young_person_id'], unique=False)

    op.create_table('missing_episode',
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('went_missing_at', sa.String(length=32), nullable=False),
    sa.Column('returned_at', sa.String(length=32), nullable=True),
    sa.Column('reported_to_police', sa.Boolean(), nullable=False),
    sa.Column('return_interview_on', sa.String(length=10), nullable=True),
    sa.Column('where_found', sa.String(length=200), nullable=True),
    sa.Column('exploitation_concern', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_missing_episode_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missing_episode'))
    )
    op.create_index(op.f('ix_missing_episode_young_person_id'), 'missing_episode', ['young_person_id'], unique=False)

    op.create_table('placement',
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('placement_type', sa.String(length=48), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=True),
    sa.Column('in_area', sa.Boolean(), nullable=True),
    sa.Column('start_date', sa.String(length=10), nullable=False),
    sa.Column('end_date', sa.String(length=10), nullable=True),
    sa.Column('weekly_cost_pence', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_placement_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement'))
    )
    op.create_index(op.f('ix_placement_young_person_id'), 'placement', ['young_person_id'], unique=False)

    op.create_table('referral',
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('referral_date', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('risk_category', sa.String(length=48), nullable=True),
    sa.Column('closed_date', sa.String(length=10), nullable=True),
    sa.Column('outcome', sa.String(length=48), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_referral_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    op.create_index(op.f('ix_referral_young_person_id'), 'referral', ['young_person_id'], unique=False)

    op.create_table('addendum',
    sa.Column('contact_id', sa.String(length=36), nullable=False),
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('written_at', sa.String(length=32), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_addendum_contact_id_contact')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_addendum_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addendum'))
    )
    op.create_index(op.f('ix_addendum_contact_id'), 'addendum', ['contact_id'], unique=False)
    op.create_index(op.f('ix_addendum_young_person_id'), 'addendum', ['young_person_id'], unique=False)

    op.create_table('goal_score',
    sa.Column('goal_id', sa.String(length=36), nullable=False),
    sa.Column('young_person_id', sa.String(length=36), nullable=False),
    sa.Column('scored_on', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=48), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_score_goal_id_goal')),
    sa.ForeignKeyConstraint(['young_person_id'], ['young_person.id'], name=op.f('fk_goal_score_young_person_id_young_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_score'))
    )
    op.create_index(op.f('ix_goal_score_goal_id'), 'goal_score', ['goal_id'], unique=False)
    op.create_index(op.f('ix_goal_score_young_person_id'), 'goal_score', ['young_person_id'], unique=False)


    # Full-text search: a document table (which record, whose, when) and an FTS5 index whose
    # rowid is the document's id.
    op.execute(
        "CREATE TABLE search_document (id INTEGER PRIMARY KEY, record_type TEXT NOT NULL, "
        "record_id TEXT NOT NULL UNIQUE, young_person_id TEXT, occurred TEXT)"
    )
    op.execute("CREATE INDEX ix_search_document_young_person_id ON search_document (young_person_id)")
    op.execute(
        "CREATE VIRTUAL TABLE search_text USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE search_text")
    op.execute("DROP TABLE search_document")
    op.drop_index(op.f('ix_goal_score_young_person_id'), table_name='goal_score')
    op.drop_index(op.f('ix_goal_score_goal_id'), table_name='goal_score')

    op.drop_table('goal_score')
    op.drop_index(op.f('ix_addendum_young_person_id'), table_name='addendum')
    op.drop_index(op.f('ix_addendum_contact_id'), table_name='addendum')

    op.drop_table('addendum')
    op.drop_index(op.f('ix_referral_young_person_id'), table_name='referral')

    op.drop_table('referral')
    op.drop_index(op.f('ix_placement_young_person_id'), table_name='placement')

    op.drop_table('placement')
    op.drop_index(op.f('ix_missing_episode_young_person_id'), table_name='missing_episode')

    op.drop_table('missing_episode')
    op.drop_index(op.f('ix_goal_young_person_id'), table_name='goal')

    op.drop_table('goal')
    op.drop_index(op.f('ix_form_response_young_person_id'), table_name='form_response')

    op.drop_table('form_response')
    op.drop_index('ix_contact_yp_when', table_name='contact')

    op.drop_table('contact')
    op.drop_index(op.f('ix_chronology_event_young_person_id'), table_name='chronology_event')

    op.drop_table('chronology_event')
    op.drop_index(op.f('ix_action_young_person_id'), table_name='action')
    op.drop_index(op.f('ix_action_owner_id'), table_name='action')

    op.drop_table('action')
    op.drop_index(op.f('ix_young_person_team_id'), table_name='young_person')
    op.drop_index(op.f('ix_young_person_keyworker_id'), table_name='young_person')

    op.drop_table('young_person')
    op.drop_table('staff')
    op.drop_table('team')
    op.drop_table('store_setting')
    op.drop_table('outbox')
    op.drop_index(op.f('ix_audit_event_young_person_id'), table_name='audit_event')

    op.drop_table('audit_event')

"""back office: users, sessions and failed sign-ins

Revision ID: 0023
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('backoffice_users',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_users')),
    sa.UniqueConstraint('email', name=op.f('uq_backoffice_users_email'))
    )
    op.create_table('backoffice_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['backoffice_users.id'],
                            name=op.f('fk_backoffice_sessions_user_id_backoffice_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_backoffice_sessions'))
    )
    op.create_table('backoffice_login_failures',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_login_failures'))
    )
    op.create_index('ix_backoffice_login_failures_email_failed_at',
                    'backoffice_login_failures', ['email', 'failed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_backoffice_login_failures_email_failed_at',
                  table_name='backoffice_login_failures')
    op.drop_table('backoffice_login_failures')
    op.drop_table('backoffice_sessions')
    op.drop_table('backoffice_users')

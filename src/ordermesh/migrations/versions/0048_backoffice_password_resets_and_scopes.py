"""back office: password resets (single-use hashed tokens, the mail's outcome), a
temporary password that must be changed, users limited to locations and channels

Revision ID: 0048
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

revision = '0048'
down_revision = '0052'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('backoffice_users') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(),
                                   server_default=sa.false(), nullable=False))
    op.create_table(
        'backoffice_password_resets',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('user_id', sa.String(length=40), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('requested_by', sa.String(length=260), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('mail_status', sa.String(length=12), nullable=False),
        sa.Column('mail_attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('mail_error', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['backoffice_users.id'],
                                name=op.f('fk_backoffice_password_resets_user_id_backoffice_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_password_resets')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_backoffice_password_resets_token_hash')),
    )
    with op.batch_alter_table('backoffice_password_resets') as batch:
        batch.create_index('ix_backoffice_password_resets_email_requested_at',
                           ['email', 'requested_at'], unique=False)
        batch.create_index('ix_backoffice_password_resets_address_requested_at',
                           ['client_address', 'requested_at'], unique=False)
    op.create_table(
        'backoffice_user_scopes',
        sa.Column('user_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('ref_id', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['backoffice_users.id'],
                                name=op.f('fk_backoffice_user_scopes_user_id_backoffice_users')),
        sa.PrimaryKeyConstraint('user_id', 'kind', 'ref_id', name=op.f('pk_backoffice_user_scopes')),
    )


def downgrade() -> None:
    op.drop_table('backoffice_user_scopes')
    with op.batch_alter_table('backoffice_password_resets') as batch:
        batch.drop_index('ix_backoffice_password_resets_address_requested_at')
        batch.drop_index('ix_backoffice_password_resets_email_requested_at')
    op.drop_table('backoffice_password_resets')
    with op.batch_alter_table('backoffice_users') as batch:
        batch.drop_column('must_change_password')

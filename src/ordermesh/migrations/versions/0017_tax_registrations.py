"""tax registrations of legal entities, OSS opt-in, the seller and destination of tax
ledger entries, the invoice a replacement invoice replaces

Revision ID: 0017
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tax_registrations',
        sa.Column('legal_entity_id', sa.String(40), nullable=False),
        sa.Column('jurisdiction', sa.String(6), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('legal_entity_id', 'jurisdiction',
                                name=op.f('pk_tax_registrations')),
    )
    op.create_table(
        'tax_schemes',
        sa.Column('legal_entity_id', sa.String(40), nullable=False),
        sa.Column('oss', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('legal_entity_id', name=op.f('pk_tax_schemes')),
    )
    # plain ADD COLUMN (no table copy on SQLite: the invoices' triggers stay)
    op.add_column('tax_entries', sa.Column('legal_entity_id', sa.String(40), nullable=True))
    op.add_column('tax_entries', sa.Column('destination', sa.String(2), nullable=True))
    op.add_column('invoices', sa.Column('replaces_number', sa.String(200), nullable=True))
    op.create_index('ix_tax_entries_entity', 'tax_entries', ['legal_entity_id', 'tax_point'])
    # Until now every sale was taxed where it went: the jurisdiction's country is the
    # destination, and the seller is the order's.
    op.execute("UPDATE tax_entries SET destination = country, legal_entity_id = "
               "(SELECT o.legal_entity_id FROM orders o WHERE o.id = tax_entries.order_id)")


def downgrade() -> None:
    op.drop_index('ix_tax_entries_entity', table_name='tax_entries')
    op.drop_column('invoices', 'replaces_number')
    op.drop_column('tax_entries', 'destination')
    op.drop_column('tax_entries', 'legal_entity_id')
    op.drop_table('tax_schemes')
    op.drop_table('tax_registrations')

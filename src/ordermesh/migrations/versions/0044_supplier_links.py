"""suppliers: the carrier accounts and locations (3PLs) a supplier stands behind

Revision ID: 0044
Revises: 0040
"""

import sqlalchemy as sa
from alembic import op

revision = '0044'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supplier_carriers',
    sa.Column('carrier', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_carriers_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('carrier', name=op.f('pk_supplier_carriers'))
    )
    with op.batch_alter_table('supplier_carriers', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_carriers_supplier', ['supplier_id'], unique=False)

    op.create_table('supplier_locations',
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_supplier_locations_location_id_locations')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_locations_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_supplier_locations'))
    )
    with op.batch_alter_table('supplier_locations', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_locations_supplier', ['supplier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supplier_locations', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_locations_supplier')
    op.drop_table('supplier_locations')
    with op.batch_alter_table('supplier_carriers', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_carriers_supplier')
    op.drop_table('supplier_carriers')

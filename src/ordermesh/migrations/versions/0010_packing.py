"""packing: packaging types, hazmat marks, SSCC settings and counters, packages

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('packaging_types',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('length_mm', sa.Integer(), nullable=False),
    sa.Column('width_mm', sa.Integer(), nullable=False),
    sa.Column('height_mm', sa.Integer(), nullable=False),
    sa.Column('max_weight_g', sa.Integer(), nullable=False),
    sa.Column('own_weight_g', sa.Integer(), nullable=False),
    sa.Column('cost_amount', MONEY, nullable=False),
    sa.Column('cost_currency', sa.String(length=3), nullable=False),
    sa.Column('handling', JSON, nullable=False),
    sa.Column('gift_wrap', sa.Boolean(), nullable=False),
    sa.Column('material_sku', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length_mm > 0 AND width_mm > 0 AND height_mm > 0', name=op.f('ck_packaging_types_dimensions_positive')),
    sa.CheckConstraint('max_weight_g > own_weight_g AND own_weight_g >= 0', name=op.f('ck_packaging_types_weights')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packaging_types')),
    sa.UniqueConstraint('code', name=op.f('uq_packaging_types_code'))
    )
    op.create_table('hazmat_marks',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('mark', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_hazmat_marks'))
    )
    op.create_table('sscc_settings',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('extension_digit', sa.Integer(), nullable=False),
    sa.Column('company_prefix', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('extension_digit BETWEEN 0 AND 9', name=op.f('ck_sscc_settings_extension_digit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sscc_settings'))
    )
    op.create_table('sscc_counters',
    sa.Column('company_prefix', sa.String(length=10), nullable=False),
    sa.Column('extension_digit', sa.Integer(), nullable=False),
    sa.Column('next_serial', sa.BigInteger(), nullable=False),
    sa.Column('last_serial', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('next_serial >= 0 AND next_serial <= last_serial + 1', name=op.f('ck_sscc_counters_serial_range')),
    sa.PrimaryKeyConstraint('company_prefix', 'extension_digit', name=op.f('pk_sscc_counters'))
    )
    op.create_table('packages',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('fulfilment_order_id', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('sscc', sa.String(length=18), nullable=True),
    sa.Column('packaging_type_id', sa.String(length=40), nullable=True),
    sa.Column('packaging_code', sa.String(length=40), nullable=True),
    sa.Column('weight_g', sa.Integer(), nullable=True),
    sa.Column('weight_estimated', sa.Boolean(), nullable=False),
    sa.Column('length_mm', sa.Integer(), nullable=True),
    sa.Column('width_mm', sa.Integer(), nullable=True),
    sa.Column('height_mm', sa.Integer(), nullable=True),
    sa.Column('marks', JSON, nullable=False),
    sa.Column('notes', JSON, nullable=False),
    sa.Column('warnings', JSON, nullable=False),
    sa.Column('gift_wrap', sa.Boolean(), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('cost_amount', MONEY, nullable=True),
    sa.Column('cost_currency', sa.String(length=3), nullable=True),
    sa.Column('packaging_shortfall', sa.Integer(), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['packaging_type_id'], ['packaging_types.id'], name=op.f('fk_packages_packaging_type_id_packaging_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packages')),
    sa.UniqueConstraint('fulfilment_order_id', 'seq', name=op.f('uq_packages_fulfilment_order_id_seq')),
    sa.UniqueConstraint('sscc', name=op.f('uq_packages_sscc'))
    )
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.create_index('ix_packages_batch_id', ['batch_id'], unique=False)

    op.create_table('package_lines',
    sa.Column('package_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_package_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_package_lines_package_id_packages')),
    sa.PrimaryKeyConstraint('package_id', 'line_no', name=op.f('pk_package_lines'))
    )


def downgrade() -> None:
    op.drop_table('package_lines')
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_index('ix_packages_batch_id')
    op.drop_table('packages')
    op.drop_table('sscc_counters')
    op.drop_table('sscc_settings')
    op.drop_table('hazmat_marks')
    op.drop_table('packaging_types')

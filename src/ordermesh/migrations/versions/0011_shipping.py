"""shipping

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('carrier_accounts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('adapter', sa.String(length=40), nullable=False),
    sa.Column('webhook_secret', sa.String(length=200), nullable=True),
    sa.Column('settings', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('booking_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_carrier_accounts_code'))
    )
    op.create_table('shipments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=True),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('carrier', sa.String(length=40), nullable=False),
    sa.Column('service', sa.String(length=40), nullable=False),
    sa.Column('label_reference', sa.String(length=100), nullable=False),
    sa.Column('destination', JSON, nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pickup_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pickup_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ship_by', sa.Date(), nullable=True),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('days_late', sa.Integer(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('fo_id', name=op.f('uq_shipments_fo_id'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_final_polled_at', ['final', 'polled_at'],
                              unique=False)
        batch_op.create_index('ix_shipments_delivered_at', ['delivered_at'], unique=False)

    op.create_table('shipment_parcels',
    sa.Column('tracking_number', sa.String(length=60), nullable=False),
    sa.Column('carrier', sa.String(length=40), nullable=False),
    sa.Column('shipment_id', sa.String(length=40), nullable=False),
    sa.Column('package_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('carrier', 'tracking_number', name=op.f('pk_shipment_parcels'))
    )
    with op.batch_alter_table('shipment_parcels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_parcels_shipment_id'), ['shipment_id'],
                              unique=False)

    op.create_table('tracking_events',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('carrier', sa.String(length=40), nullable=False),
    sa.Column('carrier_event_id', sa.String(length=120), nullable=False),
    sa.Column('tracking_number', sa.String(length=60), nullable=False),
    sa.Column('shipment_id', sa.String(length=40), nullable=False),
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('carrier_status', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_events')),
    sa.UniqueConstraint('carrier', 'carrier_event_id',
                        name=op.f('uq_tracking_events_carrier_carrier_event_id'))
    )
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_events_fo_id'), ['fo_id'], unique=False)

    op.create_table('sla_alerts',
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('fo_id', 'kind', name=op.f('pk_sla_alerts'))
    )


def downgrade() -> None:
    op.drop_table('sla_alerts')
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_events_fo_id'))
    op.drop_table('tracking_events')
    with op.batch_alter_table('shipment_parcels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_parcels_shipment_id'))
    op.drop_table('shipment_parcels')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_delivered_at')
        batch_op.drop_index('ix_shipments_final_polled_at')
    op.drop_table('shipments')
    op.drop_table('carrier_accounts')

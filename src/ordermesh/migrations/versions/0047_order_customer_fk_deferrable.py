"""orders: the foreign key to the customer may be checked at the commit

A batch of orders writes the customers it creates with its other queued rows, after the
orders' headers (customers.matching); the batch defers the check with ``SET
CONSTRAINTS``, which needs the constraint ``DEFERRABLE``. It stays ``INITIALLY
IMMEDIATE``: every other transaction checks it at each statement, as before. SQLite
defers foreign keys per transaction (``PRAGMA defer_foreign_keys``) whatever the
constraint says; its table is rebuilt with the same declaration only so that it matches
the declared tables.

Revision ID: 0047
Revises: 0043
"""

from alembic import op

revision = '0047'
down_revision = '0048'
branch_labels = None
depends_on = None


_FK = "fk_orders_customer_id_customers"


def upgrade() -> None:
    _declare(deferrable=True)


def downgrade() -> None:
    _declare(deferrable=False)


def _declare(deferrable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE orders ALTER CONSTRAINT {_FK} "
                   + ("DEFERRABLE INITIALLY IMMEDIATE" if deferrable else "NOT DEFERRABLE"))
        return
    with op.batch_alter_table("orders", recreate="always") as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.create_foreign_key(_FK, "customers", ["customer_id"], ["id"],
                                    **({"deferrable": True, "initially": "IMMEDIATE"}
                                       if deferrable else {}))

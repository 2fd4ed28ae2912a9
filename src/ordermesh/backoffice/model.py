"""Back-office users, their roles and what each role may do.

The API knows three roles (admin, operator, viewer). The back office adds two people
who do part of an operator's work: an *agent* (customer service: orders, customers,
payments, refunds and returns) and *warehouse* staff (stock, the pack station). Each role
is a set of permissions, checked on the server for every page and every action.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

SESSION_LIFETIME = timedelta(hours=8)
RESET_LIFETIME = timedelta(minutes=30)  # a password-reset link works this long, once
# "Forgot your password?" throttling: at most this many requests per e-mail, and per
# client address, within the window; the answer is the same for unknown e-mails.
MAX_RESETS_PER_EMAIL = 3
MAX_RESETS_PER_ADDRESS = 20
RESET_WINDOW = timedelta(hours=1)
# Login throttling: after this many failed sign-ins for one e-mail within the window,
# every attempt for it is refused until the window has passed (whether the e-mail
# exists or not, so the answer gives nothing away).
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_PASSWORD = 200


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    AGENT = "agent"
    WAREHOUSE = "warehouse"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    VIEW = "view"  # dashboards, lists, orders, stock, work queues
    ORDER_HOLD = "order.hold"  # put an order on hold and release it
    ORDER_REFUND = "order.refund"  # give money back
    ORDER_BULK = "order.bulk"  # hold, release or cancel several orders at once
    STOCK_ADJUST = "stock.adjust"  # adjust stock counts
    PACK = "fulfilment.pack"  # the pack station: pack fulfilment orders, print their papers
    RETURN_DECIDE = "return.decide"  # authorise or reject a return request
    CUSTOMER_CHANGE = "customer.change"  # record consent, add notes and tags to a customer
    USER_MANAGE = "user.manage"  # add people, change their role, disable them (admin only)
    SETTINGS_VIEW = "settings.view"  # the settings overview (admin only)


PERMISSIONS: dict[UserRole, frozenset[Permission]] = {
    UserRole.ADMIN: frozenset(Permission),
    UserRole.OPERATOR: frozenset(Permission) - {Permission.USER_MANAGE,
                                                Permission.SETTINGS_VIEW},
    UserRole.AGENT: frozenset({Permission.VIEW, Permission.ORDER_HOLD,
                               Permission.ORDER_REFUND, Permission.RETURN_DECIDE,
                               Permission.CUSTOMER_CHANGE}),
    UserRole.WAREHOUSE: frozenset({Permission.VIEW, Permission.STOCK_ADJUST, Permission.PACK}),
    UserRole.VIEWER: frozenset({Permission.VIEW}),
}


@dataclass(frozen=True)
class User:
    id: str
    email: str
    role: UserRole
    created_at: datetime
    disabled_at: datetime | None = None
    must_change_password: bool = False  # signed in with a temporary password
    # the ids of the locations and channels the user is limited to; empty: all of them
    location_ids: frozenset[str] = frozenset()
    channel_ids: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """Who acted, in histories, ledgers and events (as ``apikey:<name>`` for keys)."""
        return f"user:{self.email}"

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def sees_location(self, location_id: str) -> bool:
        return not self.location_ids or location_id in self.location_ids

    def sees_channel(self, channel_id: str) -> bool:
        return not self.channel_ids or channel_id in self.channel_ids

    @property
    def scoped(self) -> bool:
        return bool(self.location_ids or self.channel_ids)


@dataclass(frozen=True)
class Session:
    id: str
    user: User
    csrf_token: str
    expires_at: datetime


def normalise_email(email: str) -> str:
    return email.strip().lower()

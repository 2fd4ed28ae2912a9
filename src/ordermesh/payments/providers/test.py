"""The test gateway: a card gateway that behaves like a real one, without a network.

Card numbers follow the conventions of Stripe's test mode (the numbers most gateway
sandboxes and test suites know), see ``TEST_CARDS`` and docs/payments.md. Like a real
gateway it

* approves, declines (with the decline code a real issuer gives) or fails by card
  number, refuses a number that fails the Luhn check (``incorrect_number``) and any real
  card (``test_mode_live_card``);
* answers ``pending`` for cards that need 3-D Secure: the charge settles
  ``SETTLE_AFTER`` later, when somebody asks for its status;
* allows several partial captures up to the authorised amount, voids of what is not
  captured, refunds of captured money only;
* answers a repeated idempotency key with its first answer, without moving money again.

Its state lives in its own tables (``test_gateway_charges``, ``test_gateway_requests``),
written through the transaction it is given: any number of processes share it. The
intent path (``payments/gateway_calls.py``), the only way it is called, gives it a
short transaction of its own, committed right after the call, as a remote gateway
commits its own database.
Only the last four digits of a card are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.payments.model import AuthoriseCall, Outcome, PaymentMethod, ProviderResult
from ordermesh.payments.tables import test_gateway_charges as charges
from ordermesh.payments.tables import test_gateway_requests as requests

SETTLE_AFTER = timedelta(seconds=30)
REFERENCE_PREFIX = "tgch"
A, D, P, F = Outcome.APPROVED, Outcome.DECLINED, Outcome.PENDING, Outcome.FAILED


@dataclass(frozen=True)
class Card:
    """How a test card behaves: its first answer, and what a pending one settles as."""

    outcome: Outcome
    code: str | None = None
    message: str = "approved"
    settles_as: Outcome = Outcome.APPROVED
    settle_code: str | None = None  # the decline code once settled, if not approved
    refunds_fail: bool = False

    @classmethod
    def refusing(cls, outcome: Outcome, code: str, message: str) -> Card:
        return cls(outcome, code, message, outcome, code)


_DECLINED = "Your card was declined."
_AUTH = "authentication_required"
_AUTH_MESSAGE = "3-D Secure authentication required: the charge settles once it is done"
TEST_CARDS: dict[str, Card] = {
    # Approved
    "4242424242424242": Card(A),  # Visa
    "4000056655665556": Card(A),  # Visa debit
    "5555555555554444": Card(A),  # Mastercard
    "5200828282828210": Card(A),  # Mastercard debit
    "378282246310005": Card(A),  # American Express
    "6011111111111117": Card(A),  # Discover
    "3566002020360505": Card(A),  # JCB
    # Declined by the issuer
    "4000000000000002": Card.refusing(D, "card_declined", _DECLINED),
    "4000000000009995": Card.refusing(D, "insufficient_funds",
                                      "Your card has insufficient funds."),
    "4000000000009987": Card.refusing(D, "lost_card", _DECLINED),
    "4000000000009979": Card.refusing(D, "stolen_card", _DECLINED),
    "4000000000000069": Card.refusing(D, "expired_card", "Your card has expired."),
    "4000000000000127": Card.refusing(D, "incorrect_cvc",
                                      "Your card's security code is incorrect."),
    # A processing error: nobody said no, trying again later may work
    "4000000000000119": Card.refusing(F, "processing_error", "An error occurred while "
                                      "processing your card. Try again in a little bit."),
    # 3-D Secure: pending first, settled SETTLE_AFTER later
    "4000000000003220": Card(P, _AUTH, _AUTH_MESSAGE),
    "4000008400001629": Card(P, _AUTH, _AUTH_MESSAGE, D, "card_declined"),
    # Approved, but refunds of it are declined
    "4000000000005126": Card(A, refunds_fail=True),
}


def luhn_valid(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number.startswith(("36", "38", "30")):
        return "diners"
    return "unknown"


def _card_for(number: str) -> Card:
    if not luhn_valid(number):
        return Card.refusing(D, "incorrect_number", "Your card number is incorrect.")
    card = TEST_CARDS.get(number)
    if card is None:
        return Card.refusing(D, "test_mode_live_card", "Your card was declined: the test "
                             "gateway takes test card numbers only.")
    return card


def _normalised_number(source: str | None) -> str:
    digits = (source or "").replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise InvalidInput.for_field(
            "source", "the test gateway needs a test card number (12 to 19 digits) or the "
            "reference of an earlier test charge", "invalid_card_number")
    return digits


def _card_of_charge(row) -> Card:
    """The card behind an earlier charge, behaving as it did then (a saved card)."""
    settles = Outcome(row.settles_as)
    refunds_fail = bool(row.refunds_fail)
    if row.settle_at is not None:
        return Card(P, _AUTH, _AUTH_MESSAGE, settles, row.decline_code, refunds_fail)
    if settles is A:
        return Card(A, refunds_fail=refunds_fail)
    return Card(settles, row.decline_code, _DECLINED, settles, row.decline_code, refunds_fail)


class TestGateway:
    name = "test"
    remote = False
    methods = frozenset({PaymentMethod.CARD})
    default_method = PaymentMethod.CARD
    __test__ = False  # not a pytest test class

    # -------------------------------------------------------------- idempotent answers

    def _answered(self, uow: UnitOfWork, operation: str, key: str,
                  amount: Money) -> ProviderResult | None:
        row = uow.execute(select(requests).where(requests.c.key == key)).first()
        if row is None:
            return None
        if row.operation != operation or row.amount != amount.amount:
            return ProviderResult(F, row.charge_reference, "idempotency_error",
                                  f"Key '{key}' was used for another request")
        return ProviderResult(Outcome(row.outcome), row.charge_reference, row.code,
                              row.message, *self._card(uow, row.charge_reference))

    def _remember(self, uow: UnitOfWork, operation: str, key: str, amount: Money,
                  result: ProviderResult) -> ProviderResult:
        uow.execute(insert(requests).values(
            key=key, operation=operation, charge_reference=result.reference,
            amount=amount.amount, outcome=result.outcome.value, code=result.code,
            message=result.message, created_at=uow.clock.now()))
        return result

    def _card(self, uow: UnitOfWork, reference: str | None) -> tuple[str | None, str | None]:
        if reference is None:
            return None, None
        row = uow.execute(select(charges.c.card_last4, charges.c.card_brand)
                          .where(charges.c.reference == reference)).first()
        return (row.card_last4, row.card_brand) if row else (None, None)

    # ------------------------------------------------------------------- authorise

    def _source_card(self, uow: UnitOfWork, source: str | None) -> tuple[Card, str, str]:
        """The card to charge: a test number, or an earlier charge's card (saved card)."""
        if source and source.startswith(f"{REFERENCE_PREFIX}_"):
            row = uow.execute(select(charges).where(charges.c.reference == source)).first()
            if row is None:
                raise InvalidInput.for_field("source", f"No test charge '{source}'",
                                             "unknown_source")
            return _card_of_charge(row), row.card_last4, row.card_brand
        number = _normalised_number(source)
        return _card_for(number), number[-4:], card_brand(number)

    def authorise(self, uow: UnitOfWork, call: AuthoriseCall) -> ProviderResult:
        if (done := self._answered(uow, "authorise", call.key, call.amount)) is not None:
            return done
        card, last4, brand = self._source_card(uow, call.source)
        now = uow.clock.now()
        reference = new_id(REFERENCE_PREFIX)
        uow.execute(insert(charges).values(
            reference=reference, currency=call.amount.currency, amount=call.amount.amount,
            authorised=call.amount.amount if card.outcome is A else 0, captured=0,
            refunded=0, voided=0, status=card.outcome.value,
            settles_as=card.settles_as.value, decline_code=card.settle_code,
            refunds_fail=int(card.refunds_fail),
            settle_at=now + SETTLE_AFTER if card.outcome is P else None,
            card_last4=last4, card_brand=brand, created_at=now, updated_at=now))
        result = ProviderResult(card.outcome, reference, card.code, card.message, last4, brand)
        return self._remember(uow, "authorise", call.key, call.amount, result)

    def status(self, uow: UnitOfWork, reference: str) -> ProviderResult:
        row = uow.execute(select(charges).where(charges.c.reference == reference)).first()
        if row is None:
            return ProviderResult(F, reference, "resource_missing", "No such charge")
        status = Outcome(row.status)
        if status is P and row.settle_at is not None and uow.clock.now() >= as_utc(row.settle_at):
            status = Outcome(row.settles_as)
            uow.execute(update(charges).where(charges.c.reference == reference,
                                              charges.c.status == P.value).values(
                status=status.value, authorised=row.amount if status is A else 0,
                updated_at=uow.clock.now()))
        code = {A: None, P: _AUTH}.get(status, row.decline_code)
        message = {A: "approved", P: _AUTH_MESSAGE}.get(status, _DECLINED)
        return ProviderResult(status, reference, code, message, row.card_last4, row.card_brand)

    # ------------------------------------------------------ capture, void and refund

    def _move(self, uow: UnitOfWork, operation: str, reference: str, amount: Money,
              key: str) -> ProviderResult:
        if (done := self._answered(uow, operation, key, amount)) is not None:
            return done
        c = charges.c
        row = uow.execute(select(charges).where(c.reference == reference)).first()
        if row is None:
            result = ProviderResult(D, reference, "resource_missing", "No such charge")
            return self._remember(uow, operation, key, amount, result)
        a = amount.amount
        where = {
            "capture": (c.status == A.value) & (c.captured + c.voided + a <= c.authorised),
            "void": (c.status == A.value) & (c.captured + c.voided + a <= c.authorised),
            "refund": (c.refunded + a <= c.captured) & (c.refunds_fail == 0),
        }[operation]
        column = {"capture": c.captured, "void": c.voided, "refund": c.refunded}[operation]
        moved = uow.execute(
            update(charges).where(c.reference == reference, c.currency == amount.currency,
                                  where)
            .values({column: column + a, c.updated_at: uow.clock.now()})).rowcount
        if moved:
            result = ProviderResult(A, new_id(f"tg{operation[:3]}"), None, "approved",
                                    row.card_last4, row.card_brand)
        elif operation == "refund" and row.refunds_fail:
            result = ProviderResult(D, None, "expired_or_canceled_card",
                                    "The refund was declined: the card is expired or "
                                    "cancelled", row.card_last4, row.card_brand)
        else:
            result = ProviderResult(D, None, "amount_too_large",
                                    f"The charge has less than {amount} to {operation}",
                                    row.card_last4, row.card_brand)
        return self._remember(uow, operation, key, amount, result)

    def capture(self, uow: UnitOfWork, reference: str, amount: Money,
                key: str) -> ProviderResult:
        return self._move(uow, "capture", reference, amount, key)

    def void(self, uow: UnitOfWork, reference: str, amount: Money, key: str) -> ProviderResult:
        return self._move(uow, "void", reference, amount, key)

    def refund(self, uow: UnitOfWork, reference: str, amount: Money,
               key: str) -> ProviderResult:
        return self._move(uow, "refund", reference, amount, key)

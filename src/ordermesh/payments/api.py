"""Payments API: authorise, capture, void and refund; an order's payment ledger."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ordermesh.channels.model import CapturePolicy
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.problems import problem
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.orders.queries import OrderRef
from ordermesh.payments import gate, service
from ordermesh.payments.model import (
    DEFERRED_METHODS,
    Outcome,
    PaymentMethod,
    TransactionKind,
    check_currency,
)
from ordermesh.payments.schemas import (
    DEFAULT_TERMS_DAYS,
    CaptureIn,
    OrderPaymentOut,
    OrderPaymentsRead,
    PaymentCreate,
    PaymentOverrideIn,
    PaymentRead,
    RefundIn,
    SummaryRead,
    VoidIn,
)
from ordermesh.payments.service import AmountIn, AuthoriseRequest, Done

router = APIRouter(prefix="/api/v1", tags=["payments"])

REPLAYED_HEADER = "Idempotent-Replayed"
_NOUN = {TransactionKind.AUTHORISE: "authorisation", TransactionKind.CAPTURE: "capture",
         TransactionKind.VOID: "void", TransactionKind.REFUND: "refund"}
_DECLINED = {402: {"description": "The provider declined (or failed to process) the call; "
                   "the attempt is recorded. `decline_code` says why",
                   "content": {"application/problem+json": {}}}}
_NOT_FOUND = {404: {"description": "No such payment"}}
_UNANSWERED = {503: {"description": "The provider did not answer in time (`payment-"
                     "outcome-unknown`, with `intent_id`, `intent_status` and "
                     "`Retry-After`): whether money moved is not known yet. Retry with the "
                     "same `Idempotency-Key`; the call is sent again with the same provider "
                     "key and never moves money twice (the worker finishes it otherwise)",
                     "content": {"application/problem+json": {}}}}
_CONFLICT = {409: {"description": "The payment does not have the amount (`amount-not-"
                   "available`, with `available`; calls still waiting for the provider "
                   "count as taken), is in a status that cannot do this "
                   "(`illegal-transition`), or the same request is calling the provider "
                   "right now (`payment-in-progress`); nothing changed"}}
_INVALID = {422: {"description": "Invalid input (a negative or zero amount, too many "
                  "decimals, another currency than the payment's); nothing changed"}}


def _answer(request: Request, response: Response, done: Done,
            status: int = 200) -> PaymentRead | JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if done.replayed else {}
    tx = done.transaction
    if tx.status in (Outcome.DECLINED, Outcome.FAILED):
        declined = tx.status is Outcome.DECLINED
        answer = problem(
            402, "payment-declined" if declined else "payment-failed",
            "Payment declined" if declined else "Payment could not be processed",
            f"The {done.payment.provider} provider {tx.status} the {_NOUN[tx.kind]} of "
            f"{tx.amount}: "
            f"{tx.failure_message or tx.failure_code}", request.url.path,
            decline_code=tx.failure_code, payment_id=done.payment.id, transaction_id=tx.id,
            payment_status=done.payment.status.value)
        answer.headers.update(headers)
        return answer
    response.status_code = 202 if tx.status is Outcome.PENDING else status
    response.headers.update(headers)
    return PaymentRead.of(done.payment)


@router.post(
    "/orders/{order_id}/payments", status_code=201, response_model=PaymentRead,
    summary="Authorise a payment for an order",
    responses={202: {"description": "Pending: the provider decides later (3-D Secure); ask "
                     "again with `POST /api/v1/payments/{id}/sync`", "model": PaymentRead},
               **_DECLINED, 404: {"description": "No such order"},
               409: {"description": "More than the order total not yet covered by its "
                     "payments (`amount-not-available`), a cancelled order, or the same "
                     "request calling the provider right now (`payment-in-progress`)"},
               **_UNANSWERED,
               422: {"description": "Invalid input: unknown provider, a method the provider "
                     "does not take, a bad card number, a negative amount, another currency "
                     "than the order's; nothing changed"}},
)
def authorise_payment(order_id: str, body: PaymentCreate, ctx: WriteContext,
                      request: Request, response: Response) -> PaymentRead | JSONResponse:
    """Asks the provider to authorise `amount` (by default what is left of the order
    total) and records the payment whatever it answers: `201` approved, `202` pending,
    `402` declined. With `capture: true` an approved payment is captured at once. The
    order's payments together never exceed its total. Cash on delivery and invoice terms
    (`manual` provider) are promises: authorised, not captured, until a person captures
    them when the money arrives; they let the order ship under either capture policy.
    Retries are safe with an
    `Idempotency-Key` (the same payment comes back, with `Idempotent-Replayed: true`)."""
    idem = ctx.idempotency(body)

    def asked(uow: UnitOfWork, order: OrderRef) -> AuthoriseRequest:
        amount = (Money.exact(body.amount, body.currency or order.currency, "amount")
                  if body.amount is not None else None)
        if body.currency:
            check_currency(Money.zero(body.currency), order.currency)
        capture = body.capture
        if capture is None:  # the order's policy, as placed; paid later: when it arrives
            capture = (order.capture_policy == CapturePolicy.ORDER
                       and body.method not in DEFERRED_METHODS)
        due = (uow.clock.now().date() + timedelta(days=body.due_in_days)
               if body.due_in_days is not None else None)
        if body.method is PaymentMethod.INVOICE_TERMS and due is None:
            due = uow.clock.now().date() + timedelta(days=DEFAULT_TERMS_DAYS)
        return AuthoriseRequest(provider=body.provider, amount=amount, method=body.method,
                                source=body.source, capture=capture, due_date=due)

    done = service.authorise_payment(ctx.transactions(), order_id, asked, idem)
    return _answer(request, response, done, 201)


@router.get("/orders/{order_id}/payments", summary="An order's payments and their summary",
            responses={404: {"description": "No such order"}})
def list_order_payments(order_id: str, ctx: ReadContext) -> OrderPaymentsRead:
    """Every payment of the order (oldest first) with every provider call it made, and
    the totals: authorised, captured, refunded, voided, pending, still capturable, still
    refundable, and what of the order total no payment covers yet."""
    with ctx.read_uow() as uow:
        found = service.order_payments(uow, order_id)
    return OrderPaymentsRead(order_id=found.summary.order_id,
                             summary=SummaryRead.of(found.summary),
                             items=[PaymentRead.of(p) for p in found.payments])


@router.get("/payments/{payment_id}", summary="Get a payment", responses=_NOT_FOUND)
def get_payment(payment_id: str, ctx: ReadContext) -> PaymentRead:
    """The payment with its amounts and every provider call (transaction)."""
    with ctx.read_uow() as uow:
        return PaymentRead.of(service.get_payment(uow, payment_id))


def _amount(body: CaptureIn | VoidIn | RefundIn | None) -> AmountIn | None:
    if body is None or body.amount is None:
        return None
    return AmountIn(body.amount, body.currency)


@router.post("/payments/{payment_id}/capture", response_model=PaymentRead,
             summary="Capture authorised money",
             responses={**_DECLINED, **_NOT_FOUND, **_CONFLICT, **_INVALID,
                        **_UNANSWERED})
def capture_payment(payment_id: str, ctx: WriteContext, request: Request,
                    response: Response, body: CaptureIn | None = None
                    ) -> PaymentRead | JSONResponse:
    """Takes `amount` (by default all that is authorised and neither captured nor
    voided). Several partial captures are allowed, e.g. one per shipment; together they
    never exceed the authorised amount. For `manual` payments this is "marked paid" by
    the caller. The body is optional."""
    body = body or CaptureIn()
    idem = ctx.idempotency(body)
    done = service.capture(ctx.transactions(), payment_id, _amount(body), idem)
    return _answer(request, response, done)


@router.post("/payments/{payment_id}/void", response_model=PaymentRead,
             summary="Release authorised money that was not captured",
             responses={**_DECLINED, **_NOT_FOUND, **_CONFLICT, **_INVALID,
                        **_UNANSWERED})
def void_payment(payment_id: str, ctx: WriteContext, request: Request, response: Response,
                 body: VoidIn | None = None) -> PaymentRead | JSONResponse:
    """Releases `amount` (by default everything not captured) of the authorisation back
    to the customer; it can never be captured afterwards. Captured money is refunded,
    not voided (`409`). The body is optional."""
    body = body or VoidIn()
    idem = ctx.idempotency(body)
    done = service.void(ctx.transactions(), payment_id, _amount(body), body.reason, idem)
    return _answer(request, response, done)


@router.post("/payments/{payment_id}/refund", response_model=PaymentRead,
             summary="Give captured money back",
             responses={**_DECLINED, **_NOT_FOUND, **_CONFLICT, **_INVALID,
                        **_UNANSWERED})
def refund_payment(payment_id: str, body: RefundIn, ctx: WriteContext, request: Request,
                   response: Response) -> PaymentRead | JSONResponse:
    """Refunds `amount` of the captured money, with a reason; refunds together never
    exceed what was captured. This moves money only: refunds of order lines, with tax,
    credit notes and `refund.issued`, are made on the order."""
    idem = ctx.idempotency(body)
    amount = AmountIn(body.amount, body.currency)
    done = service.refund(ctx.transactions(), payment_id, amount, body.reason, idem)
    return _answer(request, response, done)


@router.post("/payments/{payment_id}/sync", summary="Ask the provider about a pending payment",
             responses=_NOT_FOUND)
def sync_payment(payment_id: str, ctx: WriteContext) -> PaymentRead:
    """For a `pending` payment, asks the provider for the outcome and records it
    (`authorised`, `declined` or still `pending`). Any other payment comes back
    unchanged."""
    return PaymentRead.of(ctx.run(lambda uow: service.sync_payment(uow, payment_id)))


@router.post(
    "/orders/{order_id}/payment-override", status_code=201, response_model=OrderPaymentOut,
    summary="Release an order to ship or be collected without payment",
    responses={404: {"description": "No such order"},
               409: {"description": "The order is cancelled, or was released already "
                     "(the first override stands); nothing changed"},
               422: {"description": "No reason given; nothing changed"}},
)
def override_payment(order_id: str, body: PaymentOverrideIn, ctx: WriteContext,
                     response: Response) -> OrderPaymentOut:
    """An operator's recorded decision that the order may ship (or be handed over) although
    its payments do not meet the channel's capture policy: the API key's actor and the
    reason are kept, shown in the order's `payment.override`, and sent as the event
    `order.payment_override`. It takes no money and changes no payment status. Once per
    order; retries are safe with an `Idempotency-Key`."""
    idem = ctx.idempotency(body)
    standing, replayed = ctx.run(
        lambda uow: gate.override_payment(uow, order_id, body.reason, idem))
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return OrderPaymentOut.of(standing)

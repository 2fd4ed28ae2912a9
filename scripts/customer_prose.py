"""The prose of docs/customers.md that does not depend on what the app answers
(scripts/capture_customer_examples.py prints it around the captured examples)."""

# ruff: noqa: E501  (the Markdown tables of the page cannot wrap)

INTRO = """
# Customers

A customer is a person who buys, recognised across every channel by the identities they
used there: a marketplace's buyer id or a shop's customer id, e-mail addresses, phone
numbers. Customers come into being with their first order; on top of that the API keeps
their profile (address book, language and locale, preferred channel and contact medium,
contact hours, notes, tags, how they want to be treated), their consent per purpose and
medium, merges of duplicates that can be undone, and answers privacy requests (export,
erasure). `GET /api/v1/customers/{id}` shows the customer whole: orders across channels,
what they are worth, RFM segment, channel mix, returns rate and one timeline. Segments
are saved rules over all of that, evaluated on demand.

| method and path | what | role |
| --- | --- | --- |
| `GET /api/v1/customers` | customers, newest first; `email` finds one by address | viewer |
| `GET /api/v1/customers/{id}` | the customer seen whole | viewer |
| `PATCH /api/v1/customers/{id}` | change the profile | operator |
| `POST /api/v1/customers/{id}/addresses`, `DELETE …/{address_id}` | address book | operator |
| `POST /api/v1/customers/{id}/identities`, `DELETE …/{identity_id}` | identities | operator |
| `GET /api/v1/customers/{id}/consents` | consent now, and its ledger | viewer |
| `POST /api/v1/customers/{id}/consents` | record an opt-in or a withdrawal | operator |
| `GET /api/v1/customers/{id}/duplicates` | likely duplicates, for review | viewer |
| `POST /api/v1/customers/{id}/merges` | merge a duplicate into this customer | operator |
| `POST /api/v1/customer-merges/{merge_id}/undo` | undo a merge | operator |
| `POST /api/v1/customers/{id}/export` | everything held about them, as JSON | admin |
| `POST /api/v1/customers/{id}/erasure` | anonymise them | admin |
| `POST /api/v1/segments` | save a segment: rules over the profile | operator |
| `GET /api/v1/segments`, `GET /api/v1/segments/{id}` | saved segments | viewer |
| `GET /api/v1/segments/{id}/customers` | who is in it now, evaluated on demand | viewer |

(The admin role may do everything; see [api-conventions.md](api-conventions.md#roles).)
Every write above except the deletes, the undo and the privacy requests takes an
`Idempotency-Key` ([api-conventions.md](api-conventions.md#idempotency)): retried with
the same key and body it does nothing more and answers what the first request created
(a consent entry is appended once); the key with another body is `422`.
Every request below was sent to the API and every response is pasted as it came back
(by `scripts/capture_customer_examples.py`, on a fixed clock; only the ids differ from
run to run). The shop has a web shop `web`, a marketplace channel `amazon-de` (kind
`marketplace`), a warehouse and a T-shirt at 20.00 EUR.
"""

MATCHING = """
## How an order finds its customer

An order's `customer` object may carry `account_id` (the channel's own id for the buyer:
an Amazon buyer id, a Shopify customer id), `email`, `phone` and `name`. Its identities,
strongest first:

1. **the account**, per channel: `A2X7BUYER` on `amazon-de` is another identity than
   `A2X7BUYER` on `web`;
2. **the e-mail**, compared in lower case;
3. **the phone**, parsed with libphonenumber and stored in E.164 (`+49301234567`). A
   number with `+` is read as it is; one without is read as a national number of the
   shipping address's country (`030 1234567` shipped to Germany is `+49301234567`), or
   with that country's international prefix (`0044 20 …` from Germany is `+4420…`). A
   number that cannot be parsed, or has the wrong number of digits for its country, is
   `422` on `customer.phone` and the order is not placed. (Numbers are checked as
   *possible*, by length, not as *assigned*: a new number range must not cost a sale.)

The customer who owns the strongest known identity of the order is its customer, except
that a **phone decides only when the order has no e-mail** (a household shares a phone,
not an inbox). The customer gains every identity of the order that nobody owns yet and a
phone or name it did not have (`customer.updated`, `added` naming them); nothing it has
is overwritten. When no identity is known, a new customer is created owning them
(`customer.created`); an order with only a name always creates one.

**Each identity belongs to one customer at most** (a unique key on kind, channel and
value). That is what makes concurrent first orders of one new person find one customer:
two transactions that both see no customer both try to claim the identity, the second
waits on the unique index until the first commits, finds it taken, drops its own new
customer row and takes the first one's. (A PostgreSQL test places eight orders at once
from one new phone number or e-mail through the API, three rounds each, and finds one
customer per round.) The same person reaching us under identities that have nothing in
common (a marketplace relay address, a new phone) is a duplicate: merge it.

An e-mail address or phone number that a message bounced from for good (an SMTP `5xx`
to the recipient, an SMS provider's "invalid number") carries `undeliverable_at` and
`undeliverable_reason` on its identity, and nothing is sent to it any more (see
[messaging](messaging.md#rules-before-sending)); removing the identity and adding it
again once the customer gave a working one clears the mark.
"""

WHOLE = """
## The customer seen whole

`GET /api/v1/customers/{id}` answers for the person: when the customer was merged into
another, or others into it, the answer is for the survivor (`id`) with every record
merged into it (`merged_customer_ids`). Besides the profile:

* `identities`, `addresses` and `consent` (now) of every record of the person;
* `orders_count` and the 20 newest `orders`, across channels (older ones:
  `GET /api/v1/orders?customer={id}` per record);
* `value`, per currency (the most used first), over the orders not cancelled: `orders`,
  `lifetime_value_gross` (their totals), `refunded` (given back after the sale: returns,
  goodwill, cancelled units), `lifetime_value_net` (gross less refunded) and
  `average_order_value` (gross / orders);
* `rfm`: `recency_days` since the last order, `frequency` (orders not cancelled),
  `monetary` (net value in the main currency) and a `segment` by fixed thresholds, the
  same in every shop: `prospect` (no order), `new` (one order in the last 30 days),
  `champion` (5+ orders, the last within 90 days), `loyal` (3+, within 180), `active`
  (within 180), `at_risk` (3+, the last 181-365 days ago), `lapsed` (everyone else);
* `channel_mix`: orders and share per channel;
* `returns_rate`: the share of the orders not cancelled that have a return (not rejected
  or cancelled);
* `timeline`: the 200 newest events about the person, their orders and returns, oldest
  first, in one list — customer events whole, others with the fields that say what
  happened (the export has them in full).

Ada has placed two orders on the web shop (one paid, 5.00 refunded as goodwill) and one
through her merged Amazon record; three days later:
"""

PRIVACY = """
## Privacy

### Export

`POST /api/v1/customers/{id}/export` (admin) answers one JSON document with everything
held about the person: every customer record of the merge group (`customers`),
`identities`, `addresses`, the consent ledger (`consents`, with proofs), `merges`, the
`audit` trail, their `orders` in full, `returns`, and every `events` about them. Each
export is written to the audit trail (who, when, how many orders) and writes
`customer.exported`.
"""

ERASURE = """
### Erasure

`POST /api/v1/customers/{id}/erasure` (admin, with a `reason`) anonymises every record of
the person: e-mail, phone, name, the whole profile, identities, addresses and the consent
proofs are removed, and so is the e-mail that `customer.created` events carried. The
customer rows stay (orders point at them) with `erased_at`, and so does the consent
ledger without its proofs. **Orders, invoices and tax records are kept as the law
requires**, with the shipping address they were invoiced to. The erasure is in the audit
trail and writes `customer.erased`.

**It is refused (`409`, nothing changed) while the person has an open order** (any status
but `shipped`, `completed` or `cancelled`: the shipment or refund still needs the
address and the contact) **or a return under way**; the answer names them
(`reason` `open_orders` with the order numbers, or `open_returns`). Erasing an erased
customer is `409` too. An order placed while the erasure runs waits for it (both lock
the customer row) and then makes a new customer.
"""

SEGMENTS = """
## Segments

A segment is a set of saved rules; a customer is in it when they meet **every** rule
given (a rule that lists values holds when any of them does):

| rule | holds when |
| --- | --- |
| `rfm` | their RFM segment (above) is one of these |
| `channels` | they bought on one of these channels (orders not cancelled) |
| `countries` | an order of theirs was shipped to one of these countries |
| `lifetime_spend` | `{"currency", "min", "max"}`: their net lifetime value in that currency is within (orders in other currencies do not count) |
| `last_order_after` | their last order was on or after that day (UTC) |
| `last_order_before` | their last order was before that day; customers who never ordered do not match |
| `bought` | they bought one of these SKUs (units not cancelled) |
| `consent` | `{"purpose", "medium"}`: `may_contact` says yes now |

Rules are checked when saved: none at all, an unknown RFM bucket, channel, country, SKU,
currency, purpose or medium, or an empty range (`min` above `max`, `last_order_after`
not before `last_order_before`) is `422` and nothing is saved; a name already used is
`409`. Saving writes `segment.created`.

`GET /api/v1/segments/{id}/customers` evaluates the rules **now**, on every customer who
is a person of their own (records merged into another count with their survivor; erased
customers never), oldest customer first, with the facts each was judged on. A page looks
at no more than 500 customers: it may hold fewer than `limit` members and still have a
`next_cursor` that continues the scan (`scanned` says how many were looked at); the
last page has none. Customers are judged a hundred at a time, with one read of their
merged records, consent ledgers, orders and products for the hundred: a page costs a
handful of database statements per hundred customers looked at, not several per
customer.
"""

NOT_BUILT = """
## Not built yet

* Duplicate candidates beyond name, e-mail and phone (the same address book entry, the
  same card); a queue of candidates across all customers (they are asked for per customer).
* Recording consent given at checkout with the order (`customer.consents` on
  `POST /orders`): consent is recorded through `POST …/consents`.
* Segments evaluated by the worker (kept up to date, with events when a customer enters
  or leaves one), segments combined with OR, editing or deleting a saved segment, and
  rules over the profile fields themselves (tags, language, preferences).
* A back office screen for customers.
* Erasure after a retention period, automatically; exports as a file delivered later for
  very large histories (the export is answered at once, up to 5,000 orders).
"""

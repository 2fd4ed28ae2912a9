"""SMS delivery reports write exactly their declared events (tests/event_contract.py): a
`delivered` report writes message.delivered, a `failed` one message.failed; a repeated
report writes nothing."""

from __future__ import annotations

import pytest

from tests.event_checks import assert_writes, of_type, written_by
from tests.feedback_helpers import deliver
from tests.messaging_helpers import prefers_sms, run_jobs, with_sms
from tests.sms_provider import BERND_BY_SMS


@pytest.fixture
def sms(container, provider, served):
    return with_sms(container, provider, served)


def test_delivery_reports_write_delivered_or_failed_once(client, sms, provider):
    order = deliver(client, sms, customer=BERND_BY_SMS)
    prefers_sms(client, order["customer_id"])
    run_jobs(sms)
    confirmation, shipped, _ = provider.sent()
    _, written = assert_writes(client, "messages.sms.delivered",
                               lambda: provider.report(confirmation["id"], "delivered"))
    delivered = of_type(written, "message.delivered")
    assert delivered["aggregate_id"] == confirmation["reference"]
    assert delivered["actor"] == "sms-provider"
    _, written = assert_writes(client, "messages.sms.failed",
                               lambda: provider.report(shipped["id"], "failed", "barred"))
    assert of_type(written, "message.failed")["payload"]["error"] == "barred"
    _, repeated = written_by(client, lambda: provider.report(confirmation["id"], "delivered"))
    assert repeated == []

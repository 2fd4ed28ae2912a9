"""Outgoing webhooks: subscriptions, signed deliveries, retries, the delivery log."""

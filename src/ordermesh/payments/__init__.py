"""Payments: providers, the per-order payment ledger, captures, voids and refunds."""

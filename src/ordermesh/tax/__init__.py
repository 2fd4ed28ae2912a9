"""Taxes per country: rate data with effective dates, the tax engine, the tax ledger."""

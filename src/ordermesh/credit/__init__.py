"""Store credit: a ledger of credit per customer and currency, spent as a payment."""

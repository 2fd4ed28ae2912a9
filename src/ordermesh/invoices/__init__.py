"""Invoices and credit notes: legal entities, gapless series, PDF."""

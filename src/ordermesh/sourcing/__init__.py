"""Sourcing: which location ships (or hands over) which units of an order, and why."""

"""Carriers, tracking and promise dates."""

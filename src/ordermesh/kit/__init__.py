"""Shared building blocks with no business rules of any one feature."""

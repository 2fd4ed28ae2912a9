"""Price lists per channel and currency."""

"""Packing: packaging catalogue and stock, packages, SSCC numbering, labels and slips."""

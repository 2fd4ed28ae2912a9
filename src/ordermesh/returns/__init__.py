"""Returns (RMA): policies, reasons, requests and their states."""

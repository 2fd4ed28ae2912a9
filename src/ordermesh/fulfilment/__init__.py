"""Fulfilment at a location: fulfilment orders, picking, click-and-collect, 3PL hand-off."""

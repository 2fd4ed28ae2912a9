"""Tables of the fulfilment feature."""

from ordermesh.kit.db import metadata  # noqa: F401

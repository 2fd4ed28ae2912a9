"""Tables of the packing feature."""

from ordermesh.kit.db import metadata  # noqa: F401

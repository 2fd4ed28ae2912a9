"""Tables of the sourcing feature."""

from ordermesh.kit.db import metadata  # noqa: F401

"""Tables of the shipping feature."""

from ordermesh.kit.db import metadata  # noqa: F401

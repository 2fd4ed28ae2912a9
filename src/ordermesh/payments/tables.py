from ordermesh.kit.db import metadata  # noqa: F401

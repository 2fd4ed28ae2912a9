"""Business steps that span several features, each one unit of work."""

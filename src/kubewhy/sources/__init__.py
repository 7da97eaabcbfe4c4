"""kubewhy.sources."""

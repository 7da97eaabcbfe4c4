"""kubewhy.reasoning."""

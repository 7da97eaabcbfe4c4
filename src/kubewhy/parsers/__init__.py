"""kubewhy.parsers."""

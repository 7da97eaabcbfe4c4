"""kubewhy.scanning."""

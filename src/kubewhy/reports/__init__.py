"""kubewhy.reports."""

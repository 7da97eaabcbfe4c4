"""kubewhy.facts."""

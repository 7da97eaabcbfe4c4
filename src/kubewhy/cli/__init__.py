"""kubewhy.cli."""

"""``kubewhy watch``: diagnose the node again and again and export what is found as metrics."""

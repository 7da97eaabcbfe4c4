"""kubewhy.kb."""

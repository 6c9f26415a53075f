"""Public recognition events, one module per version."""

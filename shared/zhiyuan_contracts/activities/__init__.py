"""Public activities events, one module per version."""

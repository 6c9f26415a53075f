"""Public registry events, one module per version."""

"""Request and response bodies of the HTTP API (not events, not service payloads)."""

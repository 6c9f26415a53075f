"""One module per resource; each exposes ``router`` and is picked up by ``api.main``."""

"""Division data files (``divisions-<city>.csv`` and ``.meta.json``), read by adapters/division_data.py."""

"""The portals: static pages (plain HTML, JS modules, CSS) that call only the public /api/v1."""

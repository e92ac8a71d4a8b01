"""The web layer: settings, ASGI, URLs, views, websocket consumers, templates and admin."""

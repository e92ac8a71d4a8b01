"""``manage.py runserver``: Daphne's development server, run the way production runs it.

Daphne's own ``runserver`` with two changes: it serves with
``chatui.serving.ChatServer`` (an oversized websocket message gets the
``too_large`` notice and a clean 1009 close), and it leaves static files to
``chatui.asgi``, whose handler answers path tricks (``/static/%2e%2e/…``) with
404. ``chatui`` comes before ``daphne`` in ``INSTALLED_APPS`` so that this
command is the one ``manage.py`` finds.
"""

from __future__ import annotations

from typing import Any

from channels.routing import get_default_application
from daphne.management.commands.runserver import Command as DaphneRunserver

from chatui.serving import ChatServer

__all__ = ["Command"]


class Command(DaphneRunserver):
    help = "Start Daphne's development server (HTTP and websockets) with our limits."
    server_cls = ChatServer

    def get_application(self, options: dict[str, Any]) -> Any:
        # chatui.asgi serves /static/ itself (SERVE_STATIC), safely.
        return get_default_application()

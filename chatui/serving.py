"""Daphne as we run it: an oversized websocket message is answered, then closed cleanly.

Daphne refuses a websocket message over ``--websocket-max-message-size`` (or a
frame over ``--websocket-max-frame-size``; 1 MiB each by default) before our
application sees it, and by default it does so by dropping the TCP connection:
the browser sees 1006 and learns nothing. Here the chat socket first gets the
``too_large`` notice, then a close frame with code **1009** ("message too
big", RFC 6455): a clean close with a documented code. (Frames over our own
64 KiB limit but within Daphne's are refused by the consumer with the same
notice, and the socket stays open: ``chatui.frames``.)

Used by ``python -m chatui.server`` (production) and by ``manage.py runserver``
and ``manage.py demo`` (``chatui/management/commands/runserver.py``). Import it
only after the event loop is chosen (``chatui.eventloop``): importing Daphne's
server installs Twisted's reactor.
"""

from __future__ import annotations

from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

__all__ = ["CLOSE_TOO_LARGE", "ChatCommandLine", "ChatServer"]

CLOSE_TOO_LARGE = 1009
_CHAT_SOCKETS = "/ws/chats/"


def _exceeds(limit: int, size: int) -> bool:
    return 0 < limit < size


class _ChatWebSocketProtocol(WebSocketProtocol):
    """Daphne's protocol; a chat socket is told about an oversized message before it closes."""

    def onMessageFrameBegin(self, length: int) -> None:
        # Autobahn's own check follows in super(): it fails the connection with
        # 1009, which the factory's failByDrop=False turns into a close frame.
        total = getattr(self, "message_data_total_length", 0) + length
        too_large = _exceeds(self.maxMessagePayloadSize, total) or _exceeds(
            self.maxFramePayloadSize, length
        )
        if too_large and self.state == self.STATE_OPEN and self._is_chat_socket():
            self.sendMessage(_too_large_notice().encode("utf-8"))
        super().onMessageFrameBegin(length)

    def _is_chat_socket(self) -> bool:
        request = getattr(self, "request", None)
        return bool(request is not None and str(request.path).startswith(_CHAT_SOCKETS))


def _too_large_notice() -> str:
    from chatui.live import render_notice  # Django is set up once a socket is open

    return str(render_notice("too_large"))


class ChatServer(Server):
    """Daphne's ``Server``, whose websocket factory builds ``_ChatWebSocketProtocol`` and
    fails connections with a close frame instead of a dropped socket.

    ``Server.run()`` creates the factory and starts the reactor in one call, so
    the factory is adjusted as it is assigned (``run`` then sets the size
    limits and other options on it, keeping ours).
    """

    @property
    def ws_factory(self) -> WebSocketFactory:
        return self._chat_ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: WebSocketFactory) -> None:
        factory.protocol = _ChatWebSocketProtocol
        factory.setProtocolOptions(failByDrop=False)
        self._chat_ws_factory = factory


class ChatCommandLine(CommandLineInterface):
    """Daphne's command line (``daphne ...`` arguments), serving with ``ChatServer``."""

    server_class: Any = ChatServer

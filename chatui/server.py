"""Daphne on uvloop: ``python -m chatui.server [daphne's options] chatui.asgi:application``.

The arguments are Daphne's own. Two differences from running ``daphne``: the
event loop Daphne's Twisted reactor runs on is uvloop's (see
`chatui.eventloop`), which made one web process carry 200 streaming chats
within the latency target instead of 150 (bench/README.md); and a websocket
message over Daphne's size limit gets the ``too_large`` notice and a clean
close with 1009 instead of a dropped connection (`chatui.serving`).
"""

from __future__ import annotations

import sys

from chatui.eventloop import install

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    install()  # before daphne.server is imported: it makes the reactor's loop then
    from chatui.serving import ChatCommandLine

    ChatCommandLine().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()

"""The event loop every server and runner process of ours runs on: uvloop where it exists.

uvloop (libuv) runs the same asyncio programs with a fraction of the
scheduling and socket overhead of asyncio's own loop; in a web process that
streams hundreds of chats most of the time goes to exactly that. Set
``CHAT_EVENT_LOOP=asyncio`` to keep asyncio's loop (to rule uvloop out when
chasing a problem); on a platform without uvloop (Windows) asyncio's is used.

`install` sets the loop policy, so it must run before the loop is made: first
thing in ``manage.py`` (``runserver``/``demo``, ``chatd``) and in
`chatui.server` (Daphne makes its loop when ``daphne.server`` is imported).
"""

from __future__ import annotations

import asyncio
import os

__all__ = ["install"]


def install() -> str:
    """Make new event loops uvloop's unless told otherwise; returns the loop's name."""
    if os.environ.get("CHAT_EVENT_LOOP", "uvloop").strip().lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"

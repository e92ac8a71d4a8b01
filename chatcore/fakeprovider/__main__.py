"""Run the fake provider standalone: ``python -m chatcore.fakeprovider --port 8765``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from chatcore.fakeprovider.app import create_app


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m chatcore.fakeprovider",
        description="Serve the fake OpenAI/Anthropic provider (scripted faults) over HTTP.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default 8765)")
    parser.add_argument("--prefix", default="", help="serve every route under this path prefix")
    parser.add_argument(
        "--state-ttl",
        type=float,
        default=300.0,
        help="seconds after which an idle conversation's scenario position is forgotten",
    )
    parser.add_argument(
        "--record-bodies",
        action="store_true",
        help="keep each request's body (the messages) in the /_fake/requests log (tests)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    args = _arguments(argv)
    app = create_app(prefix=args.prefix, state_ttl=args.state_ttl, record_bodies=args.record_bodies)
    # h11 and the plain asyncio loop: the "reset" outcome relies on how uvicorn's
    # h11 protocol drops a connection whose response was left unfinished.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_level=args.log_level,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()

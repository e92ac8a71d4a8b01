"""The ASGI app: routing, scenario bookkeeping, and dispatching each request's outcome."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from chatcore.fakeprovider.anthropic_messages import MessagesWire
from chatcore.fakeprovider.asgi import (
    Receive,
    Scope,
    Send,
    Sleep,
    read_body,
    request_headers,
    send_json,
)
from chatcore.fakeprovider.control import models_document, recorded_headers
from chatcore.fakeprovider.inputs import conversation_key
from chatcore.fakeprovider.openai_chat import ChatCompletionsWire
from chatcore.fakeprovider.openai_responses import ResponsesWire
from chatcore.fakeprovider.outcomes import Outcome, ScenarioError, parse_outcome
from chatcore.fakeprovider.presets import ErrorSpec
from chatcore.fakeprovider.respond import Responder, api_key, invalid_request
from chatcore.fakeprovider.scenarios import choose_scenario
from chatcore.fakeprovider.shared import SharedFaults, shared_fault
from chatcore.fakeprovider.state import (
    KeyWindows,
    OutageBook,
    RequestLog,
    ResponseStore,
    ScenarioBook,
)
from chatcore.fakeprovider.wire import Wire

__all__ = ["FakeProvider", "create_app"]

_APIS: dict[str, type[Wire]] = {
    "/openai/v1/chat/completions": ChatCompletionsWire,
    "/openai/v1/responses": ResponsesWire,
    "/anthropic/v1/messages": MessagesWire,
}
_PREVIOUS_NOT_FOUND = parse_outcome({"kind": "previous_response_not_found"})


class FakeProvider:
    """The fake provider as an ASGI callable; its state lives as long as the instance."""

    def __init__(
        self,
        *,
        prefix: str = "",
        state_ttl: float = 300.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        control: bool = True,
        record_bodies: bool = False,
    ) -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        # Off where anyone may reach the app (the demo's mount in the web process):
        # reset and the request log are for tests.
        self.control = control
        # Request bodies hold the users' messages: logged only when a test asks.
        self.record_bodies = record_bodies
        self.scenarios = ScenarioBook(ttl=state_ttl, clock=clock)
        self.requests = RequestLog()
        self.responses = ResponseStore()
        self.shared = SharedFaults(
            outages=OutageBook(ttl=state_ttl, clock=clock), windows=KeyWindows(clock=clock)
        )
        self._responder = Responder(sleep=sleep, clock=clock, wall_clock=wall_clock)
        self._wall_clock = wall_clock

    def reset(self) -> None:
        """Forget scenario positions, recorded requests and stored Responses ids."""
        self.scenarios.clear()
        self.requests.clear()
        self.responses.clear()
        self.shared.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        path, method = self.route_path(scope), scope["method"]
        if path in _APIS:
            if method != "POST":
                await send_json(send, 405, {"error": {"message": f"{method} is not allowed"}})
                return
            await self._serve(_APIS[path], path, scope, receive, send)
        elif self.control and (method, path) == ("POST", "/_fake/reset"):
            self.reset()
            await send_json(send, 200, {"ok": True})
        elif self.control and (method, path) == ("GET", "/_fake/requests"):
            await send_json(send, 200, self.requests.entries())
        elif (method, path) == ("GET", "/_fake/health"):
            await send_json(send, 200, {"ok": True})
        elif method == "GET" and path in {"/openai/v1/models", "/anthropic/v1/models"}:
            await send_json(send, 200, models_document(path, created=int(self._wall_clock())))
        else:
            await send_json(send, 404, {"error": {"message": f"no route for {method} {path}"}})

    def route_path(self, scope: Scope) -> str:
        """The request path relative to where this app is mounted (``""`` if outside it)."""
        if "path_remaining" in scope:  # mounted by a Channels URLRouter
            remaining = str(scope["path_remaining"])
            path = "/" + remaining.lstrip("/")
            mount = scope["path"][: len(scope["path"]) - len(remaining)]
        else:
            path = scope["path"]
            mount = scope.get("root_path", "")
            if mount and path.startswith(mount):
                path = path[len(mount) :]
        if self.prefix:
            if path == self.prefix or path.startswith(self.prefix + "/"):
                path = path[len(self.prefix) :]
            elif not mount.rstrip("/").endswith(self.prefix):
                return ""  # not under our prefix, and no router stripped it already
        return path or "/"

    async def _serve(
        self, wire_class: type[Wire], path: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        api = wire_class.api
        headers = request_headers(scope)
        raw = await read_body(receive)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        entry: dict[str, Any] = {
            "method": "POST",
            "path": path,
            "model": body.get("model") if isinstance(body, dict) else None,
            "headers": recorded_headers(headers),
            "body": body if self.record_bodies else None,
            "conversation": None,
            "attempt": 0,
            "outcome": None,
        }
        self.requests.add(entry)
        problem = invalid_request(api, body)
        if problem is not None:
            await self._responder.send_error(send, api, problem)
            return
        assert isinstance(body, dict)
        model = str(body["model"])
        try:
            script = choose_scenario(headers.get("x-fake-scenario"), model)
        except ScenarioError as exc:
            spec = ErrorSpec(400, "fake_scenario_error", "fake_scenario_error", None, str(exc))
            await self._responder.send_error(send, api, spec)
            return
        previous = body.get("previous_response_id") if api == "responses" else None
        if previous is not None and previous not in self.responses:
            # Like OpenAI: an unknown anchor is rejected before anything else happens.
            outcome = _PREVIOUS_NOT_FOUND
        else:
            entry["conversation"] = conversation_key(api, body, headers)
            entry["attempt"] = self.scenarios.next_attempt(entry["conversation"])
            outcome = script[min(entry["attempt"], len(script)) - 1]
            fault = shared_fault(model) if "x-fake-scenario" not in headers else None
            if fault is not None:
                outcome = self.shared.outcome(model, fault, api_key=api_key(headers)) or outcome
        entry["outcome"] = dict(outcome.spec)
        await self._responder.answer(
            send,
            receive,
            wire_class,
            body,
            headers,
            outcome,
            on_complete=lambda wire: self._completed(wire, body, outcome),
        )

    def _completed(self, wire: Wire, body: dict[str, Any], outcome: Outcome) -> None:
        # Only fully completed, stored responses can anchor a chain later.
        if (
            isinstance(wire, ResponsesWire)
            and outcome.kind == "ok"
            and body.get("store") is not False
        ):
            self.responses.add(wire.response_id)


def create_app(
    *,
    prefix: str = "",
    state_ttl: float = 300.0,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    control: bool = True,
    record_bodies: bool = False,
) -> FakeProvider:
    """A new fake provider (fresh state) as an ASGI callable.

    ``control=False`` answers 404 to ``/_fake/reset`` and ``/_fake/requests``;
    ``record_bodies=True`` keeps each request's body (the messages) in the log.
    """
    return FakeProvider(
        prefix=prefix,
        state_ttl=state_ttl,
        sleep=sleep,
        clock=clock,
        wall_clock=wall_clock,
        control=control,
        record_bodies=record_bodies,
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

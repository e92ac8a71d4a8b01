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
    send_bytes,
    send_json,
)
from chatcore.fakeprovider.control import models_document, recorded_headers
from chatcore.fakeprovider.inputs import conversation_key, input_token_count, last_user_text
from chatcore.fakeprovider.openai_chat import ChatCompletionsWire
from chatcore.fakeprovider.openai_responses import ResponsesWire
from chatcore.fakeprovider.outcomes import ERROR_PRESETS, Outcome, ScenarioError, parse_outcome
from chatcore.fakeprovider.presets import ErrorSpec, error_bytes, resolve_error, retry_headers
from chatcore.fakeprovider.scenarios import choose_scenario
from chatcore.fakeprovider.state import RequestLog, ResponseStore, ScenarioBook
from chatcore.fakeprovider.streaming import Answer, play_document, play_stream
from chatcore.fakeprovider.text import split_tokens, tokens_for
from chatcore.fakeprovider.wire import Wire, new_id

__all__ = ["FakeProvider", "create_app"]

_APIS: dict[str, type[Wire]] = {
    "/openai/v1/chat/completions": ChatCompletionsWire,
    "/openai/v1/responses": ResponsesWire,
    "/anthropic/v1/messages": MessagesWire,
}
_REQUIRED = {
    "chat": ("model", "messages"),
    "responses": ("model",),
    "anthropic": ("model", "messages", "max_tokens"),
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
    ) -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.scenarios = ScenarioBook(ttl=state_ttl, clock=clock)
        self.requests = RequestLog()
        self.responses = ResponseStore()
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock

    def reset(self) -> None:
        """Forget scenario positions, recorded requests and stored Responses ids."""
        self.scenarios.clear()
        self.requests.clear()
        self.responses.clear()

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
        elif (method, path) == ("POST", "/_fake/reset"):
            self.reset()
            await send_json(send, 200, {"ok": True})
        elif (method, path) == ("GET", "/_fake/requests"):
            await send_json(send, 200, self.requests.entries())
        elif (method, path) == ("GET", "/_fake/health"):
            await send_json(send, 200, {"ok": True})
        elif method == "GET" and path in {"/openai/v1/models", "/anthropic/v1/models"}:
            await send_json(send, 200, models_document(path, created=int(self._wall_clock())))
        else:
            await send_json(send, 404, {"error": {"message": f"no route for {method} {path}"}})

    def route_path(self, scope: Scope) -> str:
        """The request path relative to where this app is mounted."""
        if "path_remaining" in scope:  # mounted by a Channels URLRouter
            path = "/" + str(scope["path_remaining"]).lstrip("/")
        else:
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix) :]
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
            "body": body,
            "conversation": None,
            "attempt": 0,
            "outcome": None,
        }
        self.requests.add(entry)
        problem = _invalid_request(api, body)
        if problem is not None:
            await self._send_error(send, api, problem, ())
            return
        assert isinstance(body, dict)
        model = str(body["model"])
        try:
            script = choose_scenario(headers.get("x-fake-scenario"), model)
        except ScenarioError as exc:
            spec = ErrorSpec(400, "fake_scenario_error", "fake_scenario_error", None, str(exc))
            await self._send_error(send, api, spec, ())
            return
        previous = body.get("previous_response_id") if api == "responses" else None
        if previous is not None and previous not in self.responses:
            # Like OpenAI: an unknown anchor is rejected before anything else happens.
            outcome = _PREVIOUS_NOT_FOUND
        else:
            entry["conversation"] = conversation_key(api, body, headers)
            entry["attempt"] = self.scenarios.next_attempt(entry["conversation"])
            outcome = script[min(entry["attempt"], len(script)) - 1]
        entry["outcome"] = dict(outcome.spec)
        await self._answer(send, receive, wire_class, body, headers, outcome)

    async def _answer(
        self,
        send: Send,
        receive: Receive,
        wire_class: type[Wire],
        body: dict[str, Any],
        headers: dict[str, str],
        outcome: Outcome,
    ) -> None:
        api, model = wire_class.api, str(body["model"])
        streaming = body.get("stream") is True
        error_preset = outcome.kind if outcome.kind in ERROR_PRESETS else None
        if outcome.kind == "stream_error":
            error_preset = outcome.error or ("overloaded" if api == "anthropic" else "server_error")
        error = None
        if error_preset is not None:
            error = resolve_error(
                error_preset,
                api=api,
                model=model,
                api_key=_api_key(headers),
                previous_response_id=body.get("previous_response_id"),
                message=outcome.message,
                status=outcome.status,
            )
        if outcome.kind == "status":
            await self._sleep(outcome.delay)
            await _send_status(send, outcome)
            return
        if error is not None and (outcome.kind != "stream_error" or not streaming):
            await self._sleep(outcome.delay)
            extra = (*retry_headers(outcome, now=self._wall_clock()), *outcome.headers)
            await self._send_error(send, api, error, extra)
            return
        wire = wire_class(
            model=model,
            body=body,
            input_tokens=input_token_count(api, body),
            request_id=new_id("req_", 24),
            created=int(self._wall_clock()),
        )
        answer = Answer(
            outcome=outcome,
            tokens=_tokens(outcome, api, body),
            error=error,
            headers=outcome.headers,
            on_complete=lambda: self._completed(wire, body, outcome),
        )
        if streaming:
            await play_stream(send, receive, wire, answer, sleep=self._sleep, clock=self._clock)
        else:
            await play_document(send, receive, wire, answer, sleep=self._sleep)

    def _completed(self, wire: Wire, body: dict[str, Any], outcome: Outcome) -> None:
        # Only fully completed, stored responses can anchor a chain later.
        if (
            isinstance(wire, ResponsesWire)
            and outcome.kind == "ok"
            and body.get("store") is not False
        ):
            self.responses.add(wire.response_id)

    async def _send_error(
        self, send: Send, api: str, spec: ErrorSpec, extra: tuple[tuple[str, str], ...]
    ) -> None:
        request_id = new_id("req_", 24)
        body, content_type = error_bytes(spec, api=api, request_id=request_id)
        id_header = "request-id" if api == "anthropic" else "x-request-id"
        headers = [("content-type", content_type), (id_header, request_id), *extra]
        await send_bytes(send, spec.status, body, headers)


def create_app(
    *,
    prefix: str = "",
    state_ttl: float = 300.0,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> FakeProvider:
    """A new fake provider (fresh state) as an ASGI callable."""
    return FakeProvider(
        prefix=prefix, state_ttl=state_ttl, sleep=sleep, clock=clock, wall_clock=wall_clock
    )


def _tokens(outcome: Outcome, api: str, body: dict[str, Any]) -> list[str]:
    if outcome.text is not None:
        return split_tokens(outcome.text)
    if outcome.echo:
        return split_tokens(last_user_text(api, body))
    return tokens_for(outcome.tokens)


def _api_key(headers: dict[str, str]) -> str:
    bearer = headers.get("authorization", "")
    return bearer.removeprefix("Bearer ").strip() or headers.get("x-api-key", "")


def _invalid_request(api: str, body: object) -> ErrorSpec | None:
    """The provider's own 400 for a body it would not accept at all."""
    if not isinstance(body, dict):
        if api == "anthropic":
            return ErrorSpec(
                400, "invalid_request_error", None, None, "There was an error parsing the body."
            )
        message = "We could not parse the JSON body of your request."
        return ErrorSpec(400, "invalid_request_error", None, None, message)
    for name in _REQUIRED[api]:
        if name not in body:
            if api == "anthropic":
                return ErrorSpec(
                    400, "invalid_request_error", None, None, f"{name}: Field required"
                )
            message = f"Missing required parameter: '{name}'."
            return ErrorSpec(
                400, "invalid_request_error", "missing_required_parameter", name, message
            )
    return None


async def _send_status(send: Send, outcome: Outcome) -> None:
    status = outcome.status or 200
    if outcome.raw is not None:
        content_type = outcome.content_type or "text/plain; charset=utf-8"
        body = outcome.raw.encode()
    else:
        content_type = outcome.content_type or "application/json"
        body = b"" if outcome.body is None else json.dumps(outcome.body).encode()
    await send_bytes(send, status, body, [("content-type", content_type), *outcome.headers])


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

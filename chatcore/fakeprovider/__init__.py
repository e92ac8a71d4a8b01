"""A fault-injecting fake LLM provider that speaks the real OpenAI and Anthropic wire formats.

It is a plain ASGI app (no Django here) so it can run standalone, inside a test
thread, or mounted in the Django app for the demo; the official ``openai`` and
``anthropic`` SDKs talk to it with nothing but a ``base_url``.

Start it
========
* Standalone: ``python -m chatcore.fakeprovider --host 127.0.0.1 --port 8765``
  (uvicorn; ``--prefix /fake`` serves everything under a path prefix).
* In code: ``create_app(prefix="", state_ttl=300.0, sleep=asyncio.sleep,
  clock=time.monotonic) -> ASGI callable``. Mounted under another ASGI router,
  it honours ``scope["root_path"]`` (the router strips the mount path and sets
  ``root_path``) and, independently, strips ``prefix`` from the path itself.
* Tests: ``chatcore.fakeprovider.testing``:

  - ``FakeProviderServer()`` runs the app with uvicorn on a free loopback port
    in a background thread. Use it as ``with`` or ``async with``. Attributes
    ``base_url`` (``http://127.0.0.1:N``), ``openai_base_url``
    (``…/openai/v1``), ``anthropic_base_url`` (``…/anthropic``), ``port``;
    methods ``reset()`` (same as ``POST /_fake/reset``) and ``requests()``
    (same as ``GET /_fake/requests``, a list of dicts).
  - ``FakeProviderProcess(port=None)`` runs ``python -m chatcore.fakeprovider``
    as a real subprocess with the same attributes plus ``kill()`` (SIGKILL:
    open streams die mid-body), ``start()`` (again on the *same* port) and
    ``restart()``. In-memory state (scenario positions, stored response ids)
    does not survive a kill, exactly like a real crash.

Routes (all relative to the prefix / root_path)
===============================================
* ``POST /openai/v1/chat/completions``  OpenAI Chat Completions (JSON or SSE)
* ``POST /openai/v1/responses``         OpenAI Responses (JSON or SSE)
* ``GET  /openai/v1/models``            the named scenarios as an OpenAI model list
* ``POST /anthropic/v1/messages``       Anthropic Messages (JSON or SSE)
* ``POST /_fake/reset``                 forget scenario positions, recorded
  requests and stored Responses ids
* ``GET  /_fake/requests``              the last 500 requests, oldest first:
  ``{"method", "path", "model", "headers" (lower-cased; authorization and
  x-api-key removed), "body" (parsed JSON), "conversation", "attempt"
  (1-based), "outcome" (the outcome object used)}``

``stream: true`` gets SSE, anything else the JSON response. The wire formats are
those of the real APIs: Chat Completions ``data: {chat.completion.chunk}`` lines
(a role chunk, one chunk per token, a chunk with ``finish_reason``, a usage
chunk when ``stream_options.include_usage``, then ``data: [DONE]``); Responses
``event: response.created`` … ``response.output_text.delta`` …
``response.completed`` with ``sequence_number`` and ids ``resp_…``/``msg_…``;
Anthropic ``message_start``, ``content_block_start``, ``ping``,
``content_block_delta`` (``text_delta``), ``content_block_stop``,
``message_delta`` (with usage), ``message_stop``. Error responses use the
provider's body shape: OpenAI ``{"error": {"message", "type", "param",
"code"}}`` with ``x-request-id``; Anthropic ``{"type": "error", "error":
{"type", "message"}, "request_id"}`` with a ``request-id`` header.

Choosing a scenario
===================
A scenario is a list of outcomes, one per attempt. In order of precedence:

1. the request header ``X-Fake-Scenario``: a JSON list of outcome objects, a
   single outcome object, or a JSON string naming a scenario (``"demo-flaky"``);
2. the request's ``model`` when it names a scenario (see ``SCENARIOS``);
3. otherwise ``[{"kind": "ok"}]``.

Attempts are counted per *conversation*: the header ``X-Fake-Conversation``
when present, else a hash of (endpoint, model, the request's
``messages``/``input``/``system``, ``previous_response_id``, the
``X-Fake-Scenario`` header). Retrying the same request therefore advances
through the script; after the last outcome the last one repeats. Positions idle
for longer than ``state_ttl`` seconds are forgotten (so a demo repeats later).

Outcomes (JSON objects; ``kind`` selects, every other key is optional)
======================================================================
Success and stream faults share these keys: ``tokens`` (int, default 24),
``text`` (explicit answer; overrides ``tokens``), ``echo`` (bool: answer with
the last user message), ``rate`` (tokens per second; 0 = as fast as
possible, the default), ``delay`` (seconds between the response headers and
the first SSE event, or before the JSON body), ``headers`` (extra response
headers).

* ``{"kind": "ok"}``                        a complete answer
* ``{"kind": "truncate", "after": K}``      K tokens, then the body ends cleanly
  (chunked terminator) without the terminal event: no ``finish_reason``/
  ``[DONE]``, no ``response.completed``, no ``message_stop``. Non-streaming
  requests get a JSON body cut in half.
* ``{"kind": "reset", "after": K}``         K tokens, then the connection is
  dropped mid-body (the client sees an incomplete chunked body / "peer closed
  connection"); ``after: 0`` drops it right after the status line.
* ``{"kind": "stream_error", "after": K, "error": PRESET, "message": str,
  "event": "error"|"failed"}``  K tokens, then the provider's in-stream error:
  Anthropic ``event: error`` (default preset ``overloaded``, i.e.
  ``overloaded_error``); Chat Completions a ``data: {"error": {…}}`` line;
  Responses ``response.failed`` (default) or an ``error`` event.
* ``{"kind": "refusal", "after": K}``       K tokens, then the provider's
  in-stream content-filter stop: Chat ``finish_reason: "content_filter"``,
  Responses ``response.incomplete`` (reason ``content_filter``), Anthropic
  ``stop_reason: "refusal"``.
* ``{"kind": "status", "status": 418, "headers": {…}, "body": {…}}`` or
  ``"raw": "<html>…"`` (with optional ``content_type``): any response at all.
* Presets, each answered in the shape of the endpoint's provider, each
  accepting ``message`` (override the provider text), ``headers`` and
  ``status`` (override the status):

  - ``rate_limit`` 429; ``retry_after`` (seconds → ``Retry-After: 3``),
    ``retry_after_ms`` (→ ``retry-after-ms: 1500``), ``retry_after_date``
    (seconds from now → ``Retry-After: <HTTP-date>``)
  - ``overloaded`` 529 (Anthropic ``overloaded_error``)
  - ``provider_disabled`` 503 (type/code ``provider_disabled``)
  - ``insufficient_quota`` 429 OpenAI ``insufficient_quota`` / Anthropic 400
    credit balance too low
  - ``auth`` 401 (OpenAI ``invalid_api_key``; Anthropic ``authentication_error``)
  - ``model_not_found`` 404 (OpenAI ``model_not_found``; Anthropic ``not_found_error``)
  - ``context_length`` 400 (OpenAI ``context_length_exceeded``; Anthropic
    "prompt is too long")
  - ``content_filter`` 400 (OpenAI ``content_filter``; Anthropic "Output
    blocked by content filtering policy")
  - ``server_error`` 500, ``unavailable`` 503 (overloaded-style text),
    ``bad_gateway`` 502 (an HTML body, like a proxy)
  - ``previous_response_not_found`` 400 (Responses only; the id sent, or
    ``resp_unknown``). Independently of any scenario, a Responses request whose
    ``previous_response_id`` was never completed here gets this 400:
    ``{"error": {"message": "Previous response with id 'resp_…' not found.",
    "type": "invalid_request_error", "param": "previous_response_id",
    "code": "previous_response_not_found"}}``. Completed responses (and only
    completed ones) are remembered, so chaining on them works.

Deterministic text
==================
``tokens_for(n)`` is the list of the first ``n`` tokens (each token is one SSE
delta: a word with its leading space, the first without), ``token_text(n)`` is
``"".join(tokens_for(n))``: exactly what ``{"kind": "ok", "tokens": n}``
streams. ``split_tokens(text)`` is how an explicit ``text``/``echo`` answer is
cut into deltas (``"".join(split_tokens(t)) == t``). The words form a short
friendly paragraph that repeats as needed.

Named scenarios (select by model name)
======================================
``demo-echo`` (answers with the last user message), ``demo-flaky`` (429 with
``Retry-After: 3``, then ok), ``demo-overloaded`` (529 twice, then ok),
``demo-truncated`` (cut after 20 tokens once, then ok), ``demo-slow-start``
(first chunk after 8 s once, then ok), ``demo-auth`` (401), ``demo-quota``
(``insufficient_quota``), ``demo-disabled`` (503 ``provider_disabled``),
``demo-context`` (context length), ``demo-down`` (connection reset every
time). Demo answers stream at 30 tokens/s; ``SCENARIOS`` holds them all.
"""

from __future__ import annotations

from chatcore.fakeprovider.app import FakeProvider, create_app
from chatcore.fakeprovider.outcomes import ERROR_PRESETS, Outcome, ScenarioError, parse_scenario
from chatcore.fakeprovider.scenarios import DEMO_RATE, SCENARIOS
from chatcore.fakeprovider.text import DEMO_TOKENS, split_tokens, token_text, tokens_for

__all__ = [
    "DEMO_RATE",
    "DEMO_TOKENS",
    "ERROR_PRESETS",
    "SCENARIOS",
    "FakeProvider",
    "Outcome",
    "ScenarioError",
    "create_app",
    "parse_scenario",
    "split_tokens",
    "token_text",
    "tokens_for",
]

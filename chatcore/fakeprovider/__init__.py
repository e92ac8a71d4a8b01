"""A fault-injecting fake LLM provider that speaks the real OpenAI and Anthropic wire formats.

It is a plain ASGI app (no Django here) so it can run standalone, inside a test
thread, or mounted in the Django app for the demo; the official ``openai`` and
``anthropic`` SDKs talk to it with nothing but a ``base_url``.

Start it
========
* Standalone: ``python -m chatcore.fakeprovider --host 127.0.0.1 --port 8765``
  (uvicorn, h11; ``--prefix /fake`` serves everything under a path prefix;
  ``--state-ttl``, ``--log-level``). Then ``base_url`` is
  ``http://127.0.0.1:8765/openai/v1`` for ``openai`` and
  ``http://127.0.0.1:8765/anthropic`` for ``anthropic``.
* In code: ``create_app(*, prefix="", state_ttl=300.0, sleep=asyncio.sleep,
  clock=time.monotonic, wall_clock=time.time, control=True,
  record_bodies=False) -> FakeProvider`` (an ASGI callable; each instance has
  its own state; ``.reset()``). ``control=False`` turns ``/_fake/reset`` and
  ``/_fake/requests`` off (404), as the demo's mount in the web process does;
  request bodies (the users' messages) are logged only with
  ``record_bodies=True`` (``--record-bodies`` standalone), which the test
  harness below sets. Mounting: it
  honours ``scope["root_path"]`` (an outer router that keeps the full path and
  records the mount point there, Starlette style, or strips it from ``path``)
  and Channels' ``URLRouter`` (``re_path(r"^fake/", app)``). With ``prefix``
  it answers only under that prefix (whether the prefix is still in the path
  or was consumed by the router). ``sleep``/``clock`` pace streams and delays;
  ``clock`` also ages scenario positions; ``wall_clock`` stamps ``created``
  fields and HTTP-dates.
* Tests (``tests/fakeserver.py``, not part of the package):

  - ``FakeProviderServer(*, app=None, prefix=None, port=0, **create_app_options)``
    runs the app (default: a fresh ``create_app``) with uvicorn on a free
    loopback port in a background thread; ``with`` or ``async with``.
    Attributes ``app``, ``port``, ``prefix``, ``base_url``
    (``http://127.0.0.1:N`` + prefix), ``openai_base_url`` (``…/openai/v1``),
    ``anthropic_base_url`` (``…/anthropic``); methods ``reset()`` (``POST
    /_fake/reset``) and ``requests()`` (``GET /_fake/requests``). Pass
    ``prefix`` with an ``app`` that is an outer router mounting the fake.
  - ``FakeProviderProcess(*, port=None, prefix="", state_ttl=300.0)`` runs
    ``python -m chatcore.fakeprovider`` as a real subprocess, with the same
    URLs and control methods plus ``start()`` (waits until it answers; again
    on the *same* port after a kill), ``kill()`` (SIGKILL: open streams die
    mid-body), ``restart()``, ``stop()``, ``pid`` and ``output()``. Its
    memory (scenario positions, stored response ids) does not survive a kill,
    exactly like a real crash.
  - ``free_port()``.

Routes (relative to the mount point / prefix)
=============================================
* ``POST /openai/v1/chat/completions``  OpenAI Chat Completions (JSON or SSE)
* ``POST /openai/v1/responses``         OpenAI Responses (JSON or SSE)
* ``POST /anthropic/v1/messages``       Anthropic Messages (JSON or SSE)
* ``GET  /openai/v1/models``, ``GET /anthropic/v1/models``  the named
  scenarios as each provider's model list
* ``POST /_fake/reset``    forget scenario positions, recorded requests and
  stored Responses ids
* ``GET  /_fake/requests`` the last 500 API requests, oldest first:
  ``{"method", "path" (the route, e.g. "/openai/v1/responses"), "model",
  "headers" (lower-cased; authorization, x-api-key and api-key removed),
  "body" (parsed JSON, or null; null unless record_bodies), "conversation",
  "attempt" (1-based; 0 when the request was refused before its script:
  invalid body, bad scenario header, unknown previous_response_id),
  "outcome" (the outcome JSON used)}``
* ``GET  /_fake/health``   ``{"ok": true}``

``"stream": true`` gets SSE, anything else the JSON document. The wire formats
are those of the real APIs: Chat Completions ``data: {chat.completion.chunk}``
lines (a role chunk, one chunk per token, a chunk with ``finish_reason``, a
usage chunk with empty ``choices`` when ``stream_options.include_usage``, then
``data: [DONE]``); Responses ``event: response.created``,
``response.in_progress``, ``response.output_item.added``,
``response.content_part.added``, ``response.output_text.delta`` …,
``response.output_text.done``, ``response.content_part.done``,
``response.output_item.done``, ``response.completed`` with consecutive
``sequence_number`` from 0 and ids ``resp_…``/``msg_…``; Anthropic
``message_start``, ``content_block_start``, ``ping``, ``content_block_delta``
(``text_delta``) …, ``content_block_stop``, ``message_delta`` (stop reason and
usage), ``message_stop``. Error responses use the provider's body shape: OpenAI
``{"error": {"message", "type", "param", "code"}}`` with ``x-request-id``;
Anthropic ``{"type": "error", "error": {"type", "message"}, "request_id"}``
with a ``request-id`` header. Bodies the real API would refuse get its 400:
unparseable JSON, a missing ``model`` (and ``messages``; Anthropic also
``max_tokens``: "max_tokens: Field required").

Choosing a scenario
===================
A scenario is a list of outcomes, one per attempt. In order of precedence:

1. the request header ``X-Fake-Scenario``: a JSON list of outcome objects, a
   single outcome object, or a scenario name (``"demo-flaky"`` or bare
   ``demo-flaky``); an invalid header gets a 400 whose ``type`` is
   ``fake_scenario_error`` and whose message says what is wrong;
2. the request's ``model`` when it names a scenario (see ``SCENARIOS``);
3. otherwise ``[{"kind": "ok"}]``.

Attempts are counted per *conversation*: the header ``X-Fake-Conversation``
when present, else a hash of (endpoint, model, the ``X-Fake-Scenario`` header,
and the request's ``messages`` / ``system`` for Chat and Anthropic, ``input`` /
``instructions`` / ``previous_response_id`` for Responses). Other fields
(``stream``, ``temperature`` …) do not count, so retrying the same request
advances through the script; after the last outcome the last one repeats.
Positions idle for longer than ``state_ttl`` seconds are forgotten (so a demo
repeats later).

Outcomes (JSON objects; ``kind`` selects, every other key is optional)
======================================================================
Unknown kinds or keys, wrong types and negative numbers are refused. Answers
(``ok``, ``truncate``, ``reset``, ``stream_error``, ``refusal``) share:
``tokens`` (int, default 24), ``text`` (explicit answer; overrides
``tokens``), ``echo`` (bool: answer with the last user message, followed by
``text`` if given), ``stamp``
(bool: token *i* becomes ``t<i>@<send time> ``, e.g. ``t17@1732483200.123456 ``,
the Unix time with microseconds at which it was written; ``STAMPED_TOKEN``
parses it, ``stamp_token(i, t)`` makes it; for measuring latency), ``rate``
(tokens per second; 0, the default, = as fast as possible, written in 64 KiB
batches), ``delay`` (seconds between the response headers and the first SSE
event; before the whole response for JSON documents and errors), ``headers``
(extra response headers, string values).

* ``{"kind": "ok"}``                   a complete answer
* ``{"kind": "truncate", "after": K}`` K tokens, then the body ends cleanly
  (chunked terminator) without the terminal event: no ``finish_reason`` /
  ``[DONE]``, no ``response.completed``, no ``message_delta``/``message_stop``.
  JSON documents are cut in half (the SDK fails to parse them).
* ``{"kind": "reset", "after": K}``    K tokens, then the connection is closed
  mid-body: the client sees "peer closed connection without sending complete
  message body (incomplete chunked read)". ``after: 0``: right after the
  status line. JSON documents: half the body, then closed. (uvicorn closes
  an unfinished response itself; under Daphne the fake closes the transport.)
* ``{"kind": "stream_error", "after": K, "error": PRESET, "message": str,
  "event": "failed"|"error"}``  K tokens, then the provider's in-stream error
  built from ``PRESET`` (default ``overloaded`` for Anthropic, ``server_error``
  for OpenAI): Anthropic ``event: error`` + ``{"type": "error", "error":
  {"type": "overloaded_error", …}, "request_id"}``; Chat Completions a
  ``data: {"error": {…}}`` line; Responses ``response.failed`` (status
  ``failed``, ``error: {code, message}``; default) or, with ``"event":
  "error"``, an ``error`` event ``{"type": "error", "code", "message",
  "param", "sequence_number"}``. The body then ends. A JSON (non-streaming)
  request gets the preset as an HTTP error instead. With ``"body": {...}`` the
  in-stream event is that JSON as given (any shape a router sends inside a 200:
  an OpenRouter chunk whose choice carries ``error`` and ``finish_reason:
  "error"``, a top-level ``{"error": {"code": 502, …}}``; Anthropic and
  Responses name the event after the body's ``type``).
* ``{"kind": "refusal", "after": K}``  K tokens, then the provider's
  content-filter stop: Chat ``finish_reason: "content_filter"``, Responses
  ``response.incomplete`` (``incomplete_details.reason = "content_filter"``),
  Anthropic ``stop_reason: "refusal"``.
* ``{"kind": "status", "status": 418, "headers": {…}, "body": <JSON>}`` or
  ``"raw": "<html>…"`` (+ ``content_type``, default ``text/plain;
  charset=utf-8`` for raw, ``application/json`` for body): any response.
* Error presets, answered in the shape and words of the endpoint's provider;
  each accepts ``message`` (replace the provider text), ``status`` (replace
  the status), ``headers``, ``delay`` and the retry hints ``retry_after``
  (seconds → ``retry-after: 3``), ``retry_after_ms`` (→ ``retry-after-ms:
  1500``) and ``retry_after_date`` (seconds from now → ``retry-after:
  <HTTP-date>``, rounded up to the whole second):

  (OpenAI status, error.type / error.code; Anthropic status, error.type)

  - ``rate_limit``: 429 requests / rate_limit_exceeded; 429 rate_limit_error
  - ``overloaded``: 529 server_error / null; 529 overloaded_error "Overloaded"
  - ``provider_disabled``: 503 provider_disabled / provider_disabled; 503
    provider_disabled
  - ``insufficient_quota``: 429 insufficient_quota / insufficient_quota; 400
    invalid_request_error "Your credit balance is too low … Plans & Billing …"
  - ``auth``: 401 invalid_request_error / invalid_api_key (the key masked);
    401 authentication_error "invalid x-api-key"
  - ``model_not_found``: 404 invalid_request_error / model_not_found; 404
    not_found_error "model: M"
  - ``context_length``: 400 invalid_request_error / context_length_exceeded
    (Chat and Responses wording differ); 400 invalid_request_error "prompt is
    too long: 208310 tokens > 200000 maximum"
  - ``content_filter``: 400 invalid_request_error / content_filter; 400
    invalid_request_error "Output blocked by content filtering policy"
  - ``server_error``: 500 server_error / null; 500 api_error
  - ``unavailable``: 503 server_error / null; 503 api_error
  - ``bad_gateway``: 502 with an HTML page (like a proxy), for both
  - ``previous_response_not_found``: 400 invalid_request_error /
    previous_response_not_found

  ``previous_response_not_found`` says "Previous response with id 'resp_…'
  not found." (the id sent, or ``resp_unknown``), ``param``
  ``previous_response_id``. Independently of any scenario, a Responses
  request whose ``previous_response_id`` was never completed here gets that
  400 without advancing its script. Completed (``ok``) responses are
  remembered unless the request said ``"store": false``; truncated, failed,
  reset and incomplete ones are not.

Deterministic text
==================
``tokens_for(n)`` is the list of the first ``n`` tokens (each token is one SSE
delta: a word with its leading space, the first without); ``token_text(n)`` is
``"".join(tokens_for(n))``: exactly what ``{"kind": "ok", "tokens": n}``
streams (``after: K`` outcomes stream ``token_text(K)``). ``split_tokens(text)``
is how an explicit ``text`` or ``echo`` answer is cut into deltas (``"".join(
split_tokens(t)) == t``). The words form a short friendly paragraph of
``DEMO_TOKENS`` words that repeats as needed.

Named scenarios (select by model name)
======================================
``echo`` (answers with exactly the last user message), ``demo-echo`` (the last
user message followed by ``ECHO_SHOWCASE``, some markdown with a code block),
``demo-flaky`` (429 with
``Retry-After: 3``, then ok), ``demo-overloaded`` (529 twice, then ok),
``demo-truncated`` (cut after 20 tokens once, then ok), ``demo-slow-start``
(first chunk after 8 s once, then ok), ``demo-auth`` (401), ``demo-quota``
(``insufficient_quota``), ``demo-disabled`` (503 ``provider_disabled``),
``demo-context`` (context length), ``demo-down`` (connection reset right after
the status line, every time), ``demo-outage`` (down for everyone, every conversation,
for 15 s from its first request: 529 ``overloaded``; then ok) and ``demo-key-limit`` (one
request per 10 s per API key; the others get 429 with the ``Retry-After`` of the window's
end), both shared across conversations (``chatcore.fakeprovider.shared``; the parametrised
forms ``outage-<T>s`` and ``keylimit-<N>per<S>s`` serve tests and ``bench/outage.py``;
an ``X-Fake-Scenario`` header turns them off). Demo answers are ``DEMO_ANSWER`` (markdown: a
list, a code block and a table) at ``DEMO_RATE`` (30) tokens/s. ``SCENARIOS``
maps every name to its outcomes.

``load-md-<R>tps-<S>s`` is the same with each stamped token inside markdown
structure (``markdown_stamp_token``: headings, inline code, lists, fenced code,
tables, quotes), for measuring rendering under load.
``load-<R>tps-<S>s`` (e.g. ``load-20tps-20s``; R and S may have decimals, R
> 0) is a family of names for the load benchmark (``bench/load.py``): one
``ok`` answer of ``round(R * S)`` stamped tokens at R tokens/s.
``load_scenario(name)`` returns its outcomes (None for other names); these
names are not listed by the models routes.
"""

from __future__ import annotations

from chatcore.fakeprovider.app import FakeProvider, create_app
from chatcore.fakeprovider.outcomes import ERROR_PRESETS, Outcome, ScenarioError, parse_scenario
from chatcore.fakeprovider.scenarios import DEMO_RATE, SCENARIOS, load_scenario
from chatcore.fakeprovider.text import (
    DEMO_ANSWER,
    DEMO_TOKENS,
    ECHO_SHOWCASE,
    STAMPED_TOKEN,
    markdown_stamp_token,
    split_tokens,
    stamp_token,
    token_text,
    tokens_for,
)

__all__ = [
    "DEMO_ANSWER",
    "DEMO_RATE",
    "DEMO_TOKENS",
    "ECHO_SHOWCASE",
    "ERROR_PRESETS",
    "SCENARIOS",
    "STAMPED_TOKEN",
    "FakeProvider",
    "Outcome",
    "ScenarioError",
    "create_app",
    "load_scenario",
    "markdown_stamp_token",
    "parse_scenario",
    "split_tokens",
    "stamp_token",
    "token_text",
    "tokens_for",
]

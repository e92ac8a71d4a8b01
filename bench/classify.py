"""How much `classify` costs next to the cheapest thing that could possibly work.

Run: ``.venv/bin/python bench/classify.py`` (``--repeat``, ``--rounds``).

The corpus mixes at least 200 realistic failures, built from the providers'
documented error messages and bodies with varied models, numbers and ids:

* plain texts (Go-style wrapped errors, SDK messages, transport failures);
* structured errors: ``ProviderError``s with JSON bodies and headers, and
  wrapped chains (an outer exception raised ``from`` a structured one, groups).

For every item, in the same run, two timings are taken:

* ``classify(item)``;
* the *floor*: the item's text (its message, plus the body for structured
  errors) lower-cased and searched once with one precompiled alternation of
  every pattern the classifier knows.

Each timing is the best of ``--rounds`` rounds of ``--repeat`` calls (the least
disturbed by other processes), the two alternating round by round; printed are
the medians over the items and their ratio, per group. Targets: ratio <= 4 for plain texts, <= 8 for structured.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatcore.errors import PATTERNS, ErrorKind, ProviderError, classify

FLOOR = re.compile("|".join(f"(?:{phrase.pattern})" for phrase in PATTERNS))
TARGETS = {"plain": 4.0, "structured": 8.0}

MODELS = [
    "gpt-4o",
    "gpt-4.1-mini",
    "o3",
    "claude-sonnet-4-5",
    "gemini-2.5-pro",
    "llama3.2",
    "mistral-large",
]
PROVIDERS = ["openai", "anthropic", "azure", "google", "bedrock", "openrouter", None]

PLAIN_TEMPLATES = [
    'POST "https://api.openai.com/v1/chat/completions": 429 Too Many Requests {{"error":{{"message":"Rate limit reached for {model} in organization org-{id} on tokens per min (TPM): Limit {n}, Used {m}, Requested {k}. Please try again in {s}s.","type":"tokens","code":"rate_limit_exceeded"}}}}',
    "Error code: 529 - {{'type': 'error', 'error': {{'type': 'overloaded_error', 'message': 'Overloaded'}}, 'request_id': 'req_{id}'}}",
    "Error code: 401 - {{'error': {{'message': 'Incorrect API key provided: sk-proj-{id}. You can find your API key at https://platform.openai.com/account/api-keys.', 'type': 'invalid_request_error', 'code': 'invalid_api_key'}}}}",
    "stream error: stream ID {n}; INTERNAL_ERROR; received from peer",
    "stream error: stream ID {n}; PROTOCOL_ERROR; received from peer",
    "read tcp 10.0.{m}.{k}:{n}->104.18.{m}.{k}:443: read: connection reset by peer",
    "dial tcp 127.0.0.1:{n}: connect: connection refused",
    "anthropic stream closed before message_stop",
    "openai responses stream closed before terminal event",
    "Previous response with id 'resp_{id}' not found.",
    "No tool output found for function call call_{id}.",
    "chat interrupted",
    "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    "http2: server sent GOAWAY and closed the connection; LastStreamID={n}, ErrCode=NO_ERROR",
    "This model's maximum context length is {n} tokens. However, your messages resulted in {k} tokens. Please reduce the length of the messages.",
    "The model `{model}` does not exist or you do not have access to it.",
    "An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 0): Too many tokens, please wait before trying again.",
    "An error occurred (ValidationException) when calling the Converse operation: The provided model identifier is invalid.",
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after {s} seconds.",
    "You exceeded your current quota, please check your plan and billing details.",
    "unexpected EOF while reading response body from {model}",
    "internal server error: upstream returned status 500 for model {model}",
    "Candidate was blocked due to SAFETY",
    "something unexpected happened while decoding chunk {n} of the response",
]

STRUCTURED_BODIES: list[tuple[int, dict[str, str], object]] = [
    (429, {"retry-after": "{s}", "retry-after-ms": "{ms}", "x-request-id": "req_{id}"},
     {"error": {"message": "Rate limit reached for {model} in organization org-{id} on requests per min (RPM): Limit {n}, Used {n}, Requested 1. Please try again in {s}s.", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}),
    (429, {}, {"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}),
    (529, {"request-id": "req_{id}"}, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_{id}"}),
    (401, {}, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
    (404, {}, {"type": "error", "error": {"type": "not_found_error", "message": "model: {model}"}}),
    (400, {}, {"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: {k} tokens > {n} maximum"}}),
    (429, {}, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "{s}s"}]}}),
    (503, {}, {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}),
    (403, {}, {"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without established identity).", "status": "PERMISSION_DENIED"}}),
    (400, {"x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"}, {"message": "Input is too long for requested model."}),
    (503, {}, {"message": "Bedrock is unable to process your request."}),
    (429, {"retry-after": "{s}"}, {"error": {"code": "429", "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after {s} seconds."}}),
    (400, {}, {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", "type": None, "param": "prompt", "code": "content_filter", "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation"}}}),
    (402, {}, {"error": {"code": 402, "message": "Insufficient credits. Add more using https://openrouter.ai/settings/credits"}}),
    (404, {}, {"error": 'model "{model}" not found, try pulling it first'}),
    (400, {}, {"object": "error", "message": "This model's maximum context length is {n} tokens. However, you requested {k} tokens. Please reduce the length of the messages or completion.", "type": "BadRequestError", "param": None, "code": 400}),
    (500, {}, {"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": None, "code": None}}),
    (503, {}, {"error": {"message": "provider_disabled: an administrator disabled this provider", "type": "provider_disabled"}}),
]  # fmt: skip


def _fill(template: str, rng: random.Random) -> str:
    n = rng.choice([4096, 8192, 30000, 128000, 200000])
    return template.format(
        model=rng.choice(MODELS),
        id="".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=16)),
        n=n,
        m=rng.randint(1, n),
        k=n + rng.randint(1, 5000),
        s=rng.randint(1, 60),
        ms=rng.randint(100, 60000),
    )


def _fill_json(value: object, rng: random.Random) -> object:
    if isinstance(value, str):
        return _fill(value, rng)
    if isinstance(value, dict):
        return {k: _fill_json(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_json(v, rng) for v in value]
    return value


def build_corpus(seed: int = 7) -> dict[str, list[tuple[object, str]]]:
    """(error, floor text) pairs: 96 plain texts, 72 provider errors, 54 wrapped chains."""
    rng = random.Random(seed)
    plain = [_fill(t, rng) for t in PLAIN_TEMPLATES for _ in range(4)]
    structured: list[tuple[object, str]] = []
    for status, headers, body in STRUCTURED_BODIES * 4:
        text = json.dumps(_fill_json(body, rng))
        error = ProviderError(
            f"Error code: {status}",
            status_code=status,
            headers={k: _fill(v, rng) for k, v in headers.items()},
            body=text.encode() if rng.random() < 0.5 else text,
            provider=rng.choice(PROVIDERS),
        )
        structured.append((error, f"{error}\n{text}"))
    for error, text in structured[:54]:
        try:
            try:
                raise error  # type: ignore[misc]
            except ProviderError as inner:
                raise RuntimeError(
                    f"chat turn failed after {rng.randint(1, 9)} attempts"
                ) from inner
        except RuntimeError as outer:
            wrapped = ExceptionGroup("attempt", [outer]) if rng.random() < 0.3 else outer
            structured.append((wrapped, f"{outer}\n{text}"))
    return {"plain": [(text, text) for text in plain], "structured": structured}


def _floor(text: str) -> object:
    return FLOOR.search(text.lower())


def _time(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def measure(items: list[tuple[object, str]], repeat: int, rounds: int) -> list[tuple[float, float]]:
    """Seconds per call of classify and of the floor, for each item.

    The two are timed in alternating rounds, so that load from other processes
    falls on both alike; each keeps its best round.
    """
    timings = []
    for error, text in items:
        best_ours = best_floor = float("inf")
        for _ in range(rounds):
            best_ours = min(best_ours, _time(partial(classify, error), repeat))  # type: ignore[arg-type]
            best_floor = min(best_floor, _time(partial(_floor, text), repeat))
        timings.append((best_ours, best_floor))
    return timings


def _report(group: str, timings: list[tuple[float, float]], target: float | None) -> bool:
    """Print one line of medians; False when the ratio misses its target."""
    ours = statistics.median(t[0] for t in timings)
    floor = statistics.median(t[1] for t in timings)
    ratio = ours / floor
    ok = target is None or ratio <= target
    goal = f"(target <= {target:g}) {'ok' if ok else 'OVER TARGET'}" if target else ""
    line = (
        f"{group:<10} n={len(timings):<4} classify {ours * 1e6:7.1f} µs   "
        f"floor {floor * 1e6:6.1f} µs   ratio {ratio:4.2f} {goal}"
    )
    print(line.rstrip())
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100, help="calls per timing round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per item; the best counts")
    args = parser.parse_args()
    corpus = build_corpus()
    total = sum(len(items) for items in corpus.values())
    kinds = {classify(e).kind or "" for items in corpus.values() for e, _ in items}
    print(f"corpus: {total} errors, {len(kinds)} kinds ({', '.join(sorted(map(str, kinds)))})")
    assert total >= 200 and kinds <= {k.value for k in ErrorKind}
    everything: list[tuple[float, float]] = []
    ok = True
    for group, items in corpus.items():
        timings = measure(items, args.repeat, args.rounds)
        everything.extend(timings)
        ok &= _report(group, timings, TARGETS[group])
    _report("all", everything, None)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

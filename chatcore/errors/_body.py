"""Reading provider error bodies: JSON envelopes, dumped responses, SDK wrapper texts."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_BODY", "BodyFacts", "parse_body", "split_dump", "unwrap_message"]

# Bodies larger than this are not parsed: error envelopes are small, and a huge
# body is an HTML page or an echo of the request, not a message for the user.
MAX_BODY = 64 * 1024


@dataclass(slots=True)
class BodyFacts:
    """What a body says: the provider's message, machine codes, and extra signal text."""

    message: str = ""
    codes: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    status: int = 0
    retry_delay: str = ""


# A dumped response starts with its status line: "HTTP/1.1 429 Too Many Requests".
_DUMP = re.compile(r"\s*HTTP/\d(?:\.\d)?\s+(\d{3})\b[^\r\n]*\r?\n")
_BLANK = re.compile(r"\r?\n\r?\n")
_HEADER = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*)")
# Go SDK wrapper: POST "https://api.openai.com/v1/responses": 400 Bad Request {...}
_GO_WRAPPER = re.compile(r'\s*[A-Z]+ "[^"]*": (\d{3})\b[^{\[]*(?P<body>[{\[].*)', re.S)
# Python SDK message: "Error code: 529 - {'type': 'error', ...}" or "... - text".
_PY_WRAPPER = re.compile(r"\s*Error code: (\d{3})(?: - (?P<body>.*))?", re.S)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def split_dump(text: str) -> tuple[int, list[tuple[str, str]], str] | None:
    """(status, headers, body) of a dumped HTTP response, or None if `text` is not one."""
    head = _DUMP.match(text)
    if head is None:
        return None
    rest = text[head.end() :]
    blank = _BLANK.search(rest)
    header_block, body = (rest[: blank.start()], rest[blank.end() :]) if blank else (rest, "")
    headers = [(m.group(1), m.group(2).strip()) for m in _HEADER.finditer(header_block)]
    return int(head.group(1)), headers, body


def unwrap_message(text: str) -> tuple[int, str] | None:
    """(status, inner body text) of an SDK wrapper message, or None if it is not one."""
    found = _GO_WRAPPER.match(text) or _PY_WRAPPER.match(text)
    if found is None:
        return None
    return int(found.group(1)), (found.group("body") or "").strip()


def parse_body(body: object, *, depth: int = 0) -> BodyFacts:
    """Facts from a body given as bytes, text, or already-decoded JSON; never raises."""
    data = _decode(body)
    facts = BodyFacts()
    if isinstance(data, list):
        data = next((item for item in data if isinstance(item, dict)), None)
    if isinstance(data, dict):
        _read_envelope(data, facts)
    if depth < 2 and facts.message[:1] in ("{", "["):
        # Gateways re-wrap an upstream error body as the *message* of their own.
        inner = parse_body(facts.message, depth=depth + 1)
        if inner.message:
            facts.message = inner.message
            facts.codes.extend(inner.codes)
            facts.extra.extend(inner.extra)
            facts.status = facts.status or inner.status
            facts.retry_delay = facts.retry_delay or inner.retry_delay
    return facts


def _decode(body: object) -> object:
    if isinstance(body, bytes | bytearray | memoryview):
        if len(body) > MAX_BODY:
            return None
        body = bytes(body).decode("utf-8", "replace")
    if not isinstance(body, str):
        return body
    text = body.strip()
    if not text or len(text) > MAX_BODY:
        return None
    dump = split_dump(text) if text.startswith("HTTP") else None
    if dump is not None:
        text = dump[2].strip()
    if text.startswith(("data:", "event:")):
        text = _sse_data(text)
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except Exception:  # ValueError, or RecursionError on absurd nesting
        pass
    try:  # the Python SDKs put a dict's repr into exception messages
        return ast.literal_eval(text)
    except Exception:
        return None


def _sse_data(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("data:"):
            return line[5:].strip()
    return ""


def _read_envelope(data: dict[Any, Any], facts: BodyFacts) -> None:
    error = data.get("error", data.get("Error"))  # botocore: {"Error": {"Code", "Message"}}
    if isinstance(error, list):
        error = next((item for item in error if isinstance(item, dict)), error)
    if not error:
        error = _inner_error(data)
    if isinstance(error, dict):
        message = error.get("message")
        if type(message) is str and message.strip():
            facts.message = message.strip()
        else:
            # {"error": {"error": "..."}}: an Ollama-style string error wrapped once more.
            facts.message = _text(error.get("Message")) or _text(error.get("error"))
        _collect(error, facts)
    elif isinstance(error, str) and error.strip():
        # Ollama and some proxies: {"error": "model \"x\" not found, try pulling it first"}
        facts.message = error.strip()
    if not facts.message:
        for key in ("message", "Message", "detail", "error_description", "errorMessage"):
            facts.message = _text(data.get(key))
            if facts.message:
                break
    _collect(data, facts)
    _read_stops(data, facts)


def _inner_error(data: dict[Any, Any]) -> object:
    """The error object inside a 200: a router's choice-level ``error`` (OpenRouter puts
    one in a choice of a 200 body or stream chunk) or a Responses event's ``response.error``."""
    choices = data.get("choices")
    if isinstance(choices, list):
        for choice in choices[:8]:
            if isinstance(choice, dict) and isinstance(choice.get("error"), dict):
                return choice["error"]
    response = data.get("response")
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return response["error"]
    return None


# Why an answer inside a 200 stopped, when that is a failure: a safety block or an
# error. Other values (stop, length, end_turn, ...) are normal endings and say nothing.
_FAILED_STOPS: dict[str, str] = {
    "content_filter": "content_filter",
    "refusal": "refusal",
    "safety": "safety",
    "prohibited_content": "prohibited_content",
    "blocklist": "blocklist",
    "spii": "spii",
    "recitation": "recitation",
    "image_safety": "image_safety",
    "error": "finish_reason_error",
}


_STOP_KEYS = frozenset(
    {"stop_reason", "choices", "candidates", "response", "incomplete_details", "promptFeedback"}
)


def _read_stops(data: dict[Any, Any], facts: BodyFacts) -> None:
    """Codes from the stop reasons of a 200 body: a choice's ``finish_reason``, Gemini's
    ``finishReason`` / ``promptFeedback.blockReason``, Anthropic's ``stop_reason``, and
    Responses' ``incomplete_details.reason``."""
    if _STOP_KEYS.isdisjoint(data):  # an error envelope: nothing stopped
        return
    reasons: list[object] = [data.get("stop_reason")]
    for key in ("choices", "candidates"):
        items = data.get(key)
        if isinstance(items, list):
            for item in items[:8]:
                if isinstance(item, dict):
                    reasons += [item.get("finish_reason"), item.get("finishReason")]
    response = data.get("response")
    for node in (data, response if isinstance(response, dict) else None):
        details = node.get("incomplete_details") if node is not None else None
        if isinstance(details, dict):
            reasons.append(details.get("reason"))
    for reason in reasons:
        if isinstance(reason, str):
            code = _FAILED_STOPS.get(reason.strip().lower())
            if code:
                facts.codes.append(code)
    feedback = data.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        # The prompt itself was blocked, whatever the reason's name.
        facts.codes.append("prompt_blocked")
        if not facts.message:
            facts.message = f"The prompt was blocked ({feedback['blockReason']})."


_CODE_KEYS = ("type", "code", "status", "__type", "Code", "error_type", "reason")


def _collect(node: dict[Any, Any], facts: BodyFacts) -> None:
    for key in _CODE_KEYS:
        value = node.get(key)
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            if value.isdigit():
                if 400 <= int(value) <= 599 and not facts.status:
                    facts.status = int(value)  # Azure: {"code": "429"}
            elif value and value != "error":
                facts.codes.append(value)
        elif kind is int and 400 <= value <= 599 and not facts.status:
            facts.status = value  # Gemini/vLLM/OpenRouter repeat the HTTP status here
    if "innererror" not in node and "details" not in node:
        return
    inner = node.get("innererror")
    if isinstance(inner, dict):
        _collect(inner, facts)
    details = node.get("details")
    if isinstance(details, dict):
        _collect(details, facts)
        code = details.get("error_code")
        if isinstance(code, str):
            facts.codes.append(code)
    elif isinstance(details, list):
        for item in details[:16]:
            if isinstance(item, dict):
                _read_google_detail(item, facts)


def _read_google_detail(item: dict[Any, Any], facts: BodyFacts) -> None:
    # google.rpc ErrorInfo (reason), RetryInfo (retryDelay), QuotaFailure (quotaId).
    reason = item.get("reason")
    if isinstance(reason, str):
        facts.codes.append(reason)
    delay = item.get("retryDelay")
    if isinstance(delay, str) and not facts.retry_delay:
        facts.retry_delay = delay
    violations = item.get("violations")
    if isinstance(violations, list):
        for violation in violations[:16]:
            if isinstance(violation, dict):
                for key in ("quotaId", "quotaMetric", "subject", "description"):
                    value = violation.get(key)
                    if isinstance(value, str):
                        # "GenerateRequestsPerDayPerProject…" → "Generate Requests Per Day …"
                        facts.extra.append(_CAMEL.sub(" ", value))
                if str(violation.get("quotaValue", "")).strip() == "0":
                    facts.extra.append("limit: 0")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""

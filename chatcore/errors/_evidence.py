"""Gathering the evidence of one failure: chain texts, structured facts, transports, body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chatcore.errors._body import MAX_BODY, BodyFacts, parse_body, split_dump, unwrap_message
from chatcore.errors._extract import (
    Structured,
    chain_of,
    header_facts,
    is_http_status_error,
    retry_after_from_text,
    safe_getattr,
    structured_of,
)
from chatcore.errors._signals import Transport, redundant_code, status_from_text, transport_of

__all__ = ["Evidence", "gather"]

# Scanning is linear in the text: beyond this, an error message is an echo of a
# request or a page of HTML, and its head carries whatever signal there is.
_MAX_TEXT = 16 * 1024
_HTML = re.compile(r"\s*<(?:!doctype|html|head|body|\?xml)", re.I)
# The facts of no body at all; shared, never changed (a parsed body replaces it).
_NO_BODY = BodyFacts()


@dataclass(slots=True)
class Evidence:
    """What a failure says, before any rule is applied."""

    messages: list[str] = field(default_factory=list)  # trimmed, outermost first
    codes: list[str] = field(default_factory=list)
    transports: set[Transport] = field(default_factory=set)
    structured: Structured | None = None
    body: BodyFacts = field(default_factory=lambda: _NO_BODY)
    structured_detail: str = ""  # the provider's own message, when there is one
    status: int = 0  # the HTTP status as received (a 200 for an error inside a 200)
    rule_status: int = 0  # the error status the rules read: an inner one inside a 200
    retry_after: float = 0.0
    text: str = ""  # lower-cased messages, body message, codes: what the patterns scan
    url: str = ""
    provider: str = ""  # a `provider` attribute found on an exception of the chain


def gather(error: BaseException | str, chain: list[BaseException] | None = None) -> Evidence:
    """Collect the evidence of an exception (with its chain) or of a plain text.

    ``chain`` is ``list(walk(error))`` when the caller already walked it.
    """
    found = Evidence()
    scanned: list[str] = []  # the texts to scan: the messages, each said once
    if isinstance(error, BaseException):
        for exc in chain_of(error) if chain is None else chain:
            try:
                message = str(exc).strip()[:_MAX_TEXT]
            except Exception:  # a custom __str__ that misbehaves says nothing
                message = ""
            found.messages.append(message)
            found.codes.append(type(exc).__name__)
            transport = transport_of(exc)
            if transport is not None:
                found.transports.add(transport)
            if found.structured is None:
                found.structured = structured_of(exc)
            elif is_http_status_error(exc):
                # The HTTP client's view of the response a structured error above
                # already holds: its status line and URL add nothing to scan.
                continue
            if not found.provider:
                named = safe_getattr(exc, "provider")
                if isinstance(named, str):
                    found.provider = named.strip()
            _add_once(scanned, message)
    else:
        found.messages.append(error.strip()[:_MAX_TEXT])
        scanned.append(found.messages[0])
    headers = _read_structure(found)
    if headers:
        found.retry_after, error_types = header_facts(headers)
        found.codes.extend(error_types)
    found.codes.extend(found.body.codes)
    _add_once(scanned, found.body.message)
    # Codes whose words say no more than the code itself are read by code_signals alone.
    codes = [code for code in found.body.codes if not redundant_code(code)]
    # Led by a newline: the phrase scan needs a non-letter before the first word.
    lowered = "\n" + "\n".join([*scanned, *codes, *found.body.extra]).lower()
    found.text = lowered
    if not found.rule_status:
        found.rule_status = status_from_text(lowered)
    found.status = found.status or found.rule_status
    if not found.retry_after and found.body.retry_delay:
        found.retry_after = retry_after_from_text(f"retry delay {found.body.retry_delay}")
    if not found.retry_after and _may_state_a_wait(lowered):
        found.retry_after = retry_after_from_text(lowered)
    return found


def _may_state_a_wait(text: str) -> bool:
    """A cheap gate before the body-hint regex: the words every stated wait contains."""
    return (
        "again in" in text
        or "again after" in text
        or "retry in" in text
        or "retry after" in text
        or "retrying in" in text
        or "retrying after" in text
        or "delay" in text
        or "wait " in text
    )


def _add_once(scanned: list[str], text: str) -> None:
    """Add ``text`` unless an earlier text already says it (scanning is linear in the text).

    The same provider message travels up a chain several times: in the body, in
    the SDK's "Error code: 429 - <message>", and in our own error's text.
    """
    if not text:
        return
    wrapped = unwrap_message(text) if text.startswith(("Error code:", "POST", "GET")) else None
    said = wrapped[1] if wrapped and wrapped[1] else text
    for earlier in scanned:
        if said in earlier:
            return
    scanned.append(text)


def _read_structure(found: Evidence) -> list[tuple[str, str]]:
    """Fill in body facts, structured detail and status; return the response headers."""
    structured = found.structured
    headers: list[tuple[str, str]] = []
    wrapper_status = 0
    if structured is not None:
        headers = structured.headers
        found.url = structured.url
        found.body = parse_body(structured.body)
        # A body that parsed, with headers, is no dumped response (and needs none).
        parsed = bool(found.body.message) and bool(headers)
        dump = None if parsed else _dump_of(structured.body) or _dump_of(structured.message)
        if dump is not None:
            # A dumped response carries its own status line and headers.
            wrapper_status, dump_headers, dump_body = dump
            headers = headers or dump_headers
            if not found.body.message:
                found.body = parse_body(dump_body)
        message = original = structured.message.strip()
        if not found.body.message and message and dump is None:
            wrapper_status, inner = _unwrap(message, found)
            # "Error code: 503" alone says less than a plain-text body would.
            message = inner or ("" if wrapper_status else message)
        found.structured_detail = (
            found.body.message or message or _plain(structured.body) or original
        )
        received = structured.status
        stated = found.body.status or wrapper_status
        found.status = received or stated
        # Inside a 2xx the error's own code says what failed; the status stays as received.
        found.rule_status = received if received >= 400 else stated
        return headers
    top = next((m for m in found.messages if m), "")
    dump = split_dump(top)
    if dump is not None:
        wrapper_status, headers, body = dump
        found.body = parse_body(body)
        found.structured_detail = found.body.message or _plain(body)
    else:
        wrapper_status, inner = _unwrap(top, found)
        if wrapper_status or found.body.message:
            found.structured_detail = found.body.message or inner
    found.status = found.rule_status = found.body.status or wrapper_status
    return headers


def _unwrap(message: str, found: Evidence) -> tuple[int, str]:
    """(status, inner message) of an SDK wrapper or a bare JSON body; fills body facts."""
    wrapped = unwrap_message(message)
    status, inner = wrapped if wrapped is not None else (0, message)
    if inner[:1] in ("{", "["):
        facts = parse_body(inner)
        if facts.message or facts.codes:
            found.body = facts
            return status or facts.status, facts.message
        return status, ""
    return status, inner if wrapped is not None else ""


def _dump_of(value: object) -> tuple[int, list[tuple[str, str]], str] | None:
    if isinstance(value, bytes | bytearray):
        value = bytes(value[:MAX_BODY]).decode("utf-8", "replace")
    if not isinstance(value, str) or len(value) > MAX_BODY:
        return None
    return split_dump(value)


def _plain(body: object) -> str:
    """A short plain-text body (not HTML, not JSON) as a last-resort detail."""
    if isinstance(body, bytes | bytearray):
        body = bytes(body[:2048]).decode("utf-8", "replace")
    if not isinstance(body, str):
        return ""
    text = body.strip()
    if not text or len(text) > 1000 or text[:1] in ("{", "[") or _HTML.match(text):
        return ""
    return text

"""Tolerant decoding of a stored ``Chat.last_error`` into a ``ChatError`` payload (SPEC §6, §9).

Rows written before the JSON migration, by hand, or by an older version may hold
anything. Reading must never fail: what is not a valid ``ChatError`` becomes
``{"message": ..., "kind": "generic"}``, keeping whatever message it carries.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from chatcore.errors import ClassifiedError, ErrorKind, terminal_message

__all__ = ["decode_chat_error"]

_KINDS = frozenset(kind.value for kind in ErrorKind)


def decode_chat_error(value: object) -> dict[str, Any] | None:
    """The ``ChatError`` dict a stored value stands for; None for no error. Never raises."""
    try:
        return _decode(value)
    except Exception:
        # A pathological value (a mapping whose methods raise, ...) must not take
        # down a page that only wants to show it.
        return _generic(None)


def _decode(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        # A bare string: legacy text, or JSON that Django could not parse.
        return _generic(value) if value.strip() else None
    if not isinstance(value, dict):
        return _generic(None)
    message = value.get("message")
    kind = value.get("kind")
    if not _is_text(message) or not isinstance(kind, str) or kind not in _KINDS:
        return _generic(message if _is_text(message) else None)
    decoded: dict[str, Any] = {"message": message.strip(), "kind": kind}
    _copy_optional(value, decoded)
    return decoded


def _copy_optional(source: dict[Any, Any], target: dict[str, Any]) -> None:
    """Copy the optional fields that have the right type; drop malformed ones."""
    retryable = source.get("retryable")
    if isinstance(retryable, bool):
        target["retryable"] = retryable
    provider = source.get("provider")
    if _is_text(provider):
        target["provider"] = provider.strip()
    status_code = source.get("status_code")
    # bool is an int subclass: `true` is not a status code.
    if isinstance(status_code, int) and not isinstance(status_code, bool) and status_code > 0:
        target["status_code"] = status_code
    detail = source.get("detail")
    if _is_text(detail):
        target["detail"] = detail.strip()


def _generic(message: str | None) -> dict[str, Any]:
    if message is None or not message.strip():
        message = terminal_message(ClassifiedError(kind=ErrorKind.GENERIC))
    return {"message": message.strip(), "kind": str(ErrorKind.GENERIC)}


def _is_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())

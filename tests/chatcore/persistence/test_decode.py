"""Reading `last_error` is tolerant: anything that is not a valid ChatError reads as generic
(`ChatError.from_stored`, compared as the JSON it stands for)."""

from __future__ import annotations

from typing import Any

import pytest

from chatcore.contract import ChatError
from chatcore.errors import ClassifiedError, ErrorKind, terminal_message
from tests.chatcore.persistence.factories import make_chat

GENERIC_MESSAGE = terminal_message(ClassifiedError(kind=ErrorKind.GENERIC))


def decode_chat_error(stored: Any) -> dict[str, Any] | None:
    error = ChatError.from_stored(stored)
    return None if error is None else error.to_json()


class _Explosive(dict[str, Any]):
    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


CASES = [
    pytest.param(None, None, id="null_is_no_error"),
    pytest.param(
        {
            "message": "Anthropic is overloaded.",
            "kind": "overloaded",
            "retryable": True,
            "provider": "anthropic",
            "status_code": 529,
            "detail": "Overloaded",
        },
        {
            "message": "Anthropic is overloaded.",
            "kind": "overloaded",
            "retryable": True,
            "provider": "anthropic",
            "status_code": 529,
            "detail": "Overloaded",
        },
        id="valid_chat_error_round_trips",
    ),
    pytest.param(
        {"message": "legacy", "kind": "generic"},
        {"message": "legacy", "kind": "generic"},
        id="migrated_legacy_shape_round_trips",
    ),
    pytest.param(
        "plain text",
        {"message": "plain text", "kind": "generic"},
        id="bare_string_is_generic_message",
    ),
    pytest.param("   ", None, id="blank_string_is_no_error"),
    pytest.param("", None, id="empty_string_is_no_error"),
    pytest.param([1, 2], {"message": GENERIC_MESSAGE, "kind": "generic"}, id="list_is_generic"),
    pytest.param(42, {"message": GENERIC_MESSAGE, "kind": "generic"}, id="number_is_generic"),
    pytest.param(True, {"message": GENERIC_MESSAGE, "kind": "generic"}, id="bool_is_generic"),
    pytest.param({}, {"message": GENERIC_MESSAGE, "kind": "generic"}, id="empty_object_is_generic"),
    pytest.param(
        {"kind": "auth"},
        {"message": GENERIC_MESSAGE, "kind": "generic"},
        id="missing_message_is_generic",
    ),
    pytest.param(
        {"message": "m"}, {"message": "m", "kind": "generic"}, id="missing_kind_keeps_message"
    ),
    pytest.param(
        {"message": "m", "kind": "exploded", "status_code": 500},
        {"message": "m", "kind": "generic"},
        id="unknown_kind_is_generic_with_message",
    ),
    pytest.param(
        {"message": "m", "kind": 7},
        {"message": "m", "kind": "generic"},
        id="non_string_kind_is_generic",
    ),
    pytest.param(
        {"message": 5, "kind": "auth"},
        {"message": GENERIC_MESSAGE, "kind": "generic"},
        id="non_string_message_is_generic",
    ),
    pytest.param(
        {"message": "  ", "kind": "auth"},
        {"message": GENERIC_MESSAGE, "kind": "generic"},
        id="blank_message_is_generic",
    ),
    pytest.param(
        {
            "message": "m",
            "kind": "auth",
            "retryable": "yes",
            "status_code": True,
            "provider": 3,
            "detail": "",
        },
        {"message": "m", "kind": "auth"},
        id="malformed_optionals_are_dropped",
    ),
    pytest.param(
        {"message": "m", "kind": "auth", "status_code": -1},
        {"message": "m", "kind": "auth"},
        id="negative_status_is_dropped",
    ),
    pytest.param(
        {"message": " m ", "kind": "rate_limit", "provider": " openai ", "extra": "ignored"},
        {"message": "m", "kind": "rate_limit", "provider": "openai"},
        id="strings_trimmed_and_unknown_keys_dropped",
    ),
    pytest.param(
        _Explosive(message="m", kind="auth"),
        {"message": GENERIC_MESSAGE, "kind": "generic"},
        id="never_raises",
    ),
]


@pytest.mark.parametrize(("stored", "expected"), CASES)
def test_decode_chat_error(stored: Any, expected: dict[str, Any] | None) -> None:
    assert decode_chat_error(stored) == expected


@pytest.mark.parametrize("kind", list(ErrorKind), ids=str)
def test_every_kind_is_valid(kind: ErrorKind) -> None:
    payload = ChatError.from_classified(
        ClassifiedError(kind=kind, message="m", provider="openai", status_code=503)
    ).to_json()
    assert decode_chat_error(payload) == payload


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "kind"),
    [
        pytest.param("bare", "generic", id="bare_json_string"),
        pytest.param([1], "generic", id="json_list"),
        pytest.param({"message": "x", "kind": "nope"}, "generic", id="unknown_kind"),
        pytest.param({"message": "x", "kind": "auth"}, "auth", id="valid"),
    ],
)
def test_model_reads_stored_values_tolerantly(stored: Any, kind: str) -> None:
    chat = make_chat(last_error=stored)
    chat.refresh_from_db()
    assert chat.error == ChatError.from_stored(stored)
    assert chat.error_kind == kind

"""The fake provider's read-only documents: the model lists and recorded request headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatcore.fakeprovider.scenarios import SCENARIOS

__all__ = ["models_document", "recorded_headers"]

# Credentials never reach the request log, even fake ones: tests print it on failure.
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key"})


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers as recorded: lower-case names, credentials removed."""
    return {name: value for name, value in headers.items() if name not in _SECRET_HEADERS}


def models_document(path: str, *, created: int) -> dict[str, Any]:
    """The named scenarios as the provider's model list (OpenAI or Anthropic shape)."""
    names = sorted(SCENARIOS)
    if path.startswith("/anthropic"):
        data: list[dict[str, Any]] = [
            {
                "type": "model",
                "id": name,
                "display_name": name,
                "created_at": "2025-01-01T00:00:00Z",
            }
            for name in names
        ]
        return {"data": data, "has_more": False, "first_id": names[0], "last_id": names[-1]}
    data = [
        {"id": name, "object": "model", "created": created, "owned_by": "fakeprovider"}
        for name in names
    ]
    return {"object": "list", "data": data}

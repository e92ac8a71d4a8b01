"""The values every adapter speaks: what a turn asks for, what a stream yields, how to reach it.

These are plain frozen dataclasses so the runner, the retry loop and tests can build,
compare and log them without knowing which SDK sits behind an adapter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "DEFAULT_TRANSPORT",
    "HTTP_TRANSPORTS",
    "Adapter",
    "Finish",
    "HttpTransport",
    "Message",
    "Part",
    "ProviderConfig",
    "Role",
    "TextDelta",
    "TurnRequest",
    "Usage",
]

Role: TypeAlias = Literal["user", "assistant", "system"]

# How the SDKs talk HTTP: their default httpx2 stack (httpcore over anyio) or their
# supported aiohttp transport (`DefaultAioHttpClient`, the SDKs' `aiohttp` extra).
# aiohttp is the default: it reads a stream for a third less client CPU per token
# (bench/stream.py) and passes the same adapter tests and fault matrix.
HttpTransport: TypeAlias = Literal["httpx", "aiohttp"]
HTTP_TRANSPORTS: tuple[HttpTransport, ...] = ("httpx", "aiohttp")
DEFAULT_TRANSPORT: HttpTransport = "aiohttp"

# One shared read-only empty mapping, so a frozen request never carries a mutable dict.
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def _no_headers() -> Mapping[str, str]:
    return _NO_HEADERS


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the conversation, in the order the provider should read it."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What one attempt of a turn asks the provider for.

    In chain mode (OpenAI Responses only) ``messages`` holds only the new input and
    ``previous_response_id`` names the stored response it continues; otherwise
    ``messages`` is the whole history.
    """

    model: str
    messages: tuple[Message, ...]
    previous_response_id: str | None = None
    max_output_tokens: int | None = None
    extra_headers: Mapping[str, str] = field(default_factory=_no_headers)


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of assistant text, in stream order."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts the provider reported for the turn."""

    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class Finish:
    """The provider's terminal event arrived: the turn completed.

    Only a stream that reached its terminal event yields this, so a stored
    ``response_id`` always belongs to a complete response.
    """

    response_id: str | None
    usage: Usage | None
    finish_reason: str | None


Part: TypeAlias = TextDelta | Finish


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """How to reach one configured provider, and whether we may.

    ``kind`` selects the wire API (see ``build_adapter``); ``name`` is the
    operator's label. ``enabled`` and ``key_missing`` come from the provider
    registry and are checked before any network call. ``transport`` picks the
    SDK's HTTP stack (``HTTP_TRANSPORTS``; settings' ``CHAT_HTTP_TRANSPORT``).
    """

    kind: str
    name: str
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = 60.0
    enabled: bool = True
    key_missing: bool = False
    transport: HttpTransport = DEFAULT_TRANSPORT


@runtime_checkable
class Adapter(Protocol):
    """One provider API behind the interface the runner uses."""

    provider: str
    supports_chaining: bool

    def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        """Yield the turn's text deltas, then exactly one ``Finish``; raise classifiable errors."""
        ...

    async def aclose(self) -> None:
        """Release the adapter's HTTP client."""
        ...

"""Provider adapters: one async streaming interface over the official SDKs.

``build_adapter(config)`` returns an ``Adapter`` whose ``stream(request)`` yields
``TextDelta`` parts and then exactly one ``Finish``. Everything it raises is
understood by ``chatcore.errors.classify``: HTTP and in-stream provider errors as
``ProviderError``, dropped streams as ``ProviderTransportReset``, and a stream
that ends before the provider's terminal event as ``StreamClosedEarly`` (never
followed by a ``Finish``). No Django here.
"""

from __future__ import annotations

from chatcore.providers.anthropic_messages import AnthropicAdapter
from chatcore.providers.build import KINDS, UnknownProviderKind, build_adapter
from chatcore.providers.errors import StreamClosedEarly
from chatcore.providers.openai_chat import ChatCompletionsAdapter
from chatcore.providers.openai_responses import ResponsesAdapter
from chatcore.providers.types import (
    DEFAULT_TRANSPORT,
    HTTP_TRANSPORTS,
    Adapter,
    Finish,
    HttpTransport,
    Message,
    Part,
    ProviderConfig,
    Role,
    TextDelta,
    TurnRequest,
    Usage,
)

__all__ = [
    "DEFAULT_TRANSPORT",
    "HTTP_TRANSPORTS",
    "KINDS",
    "Adapter",
    "AnthropicAdapter",
    "ChatCompletionsAdapter",
    "Finish",
    "HttpTransport",
    "Message",
    "Part",
    "ProviderConfig",
    "ResponsesAdapter",
    "Role",
    "StreamClosedEarly",
    "TextDelta",
    "TurnRequest",
    "UnknownProviderKind",
    "Usage",
    "build_adapter",
]

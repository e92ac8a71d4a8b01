"""The error the adapters raise themselves when a stream ends too soon.

Everything else an adapter raises is a `chatcore.errors.ProviderError` or
`ProviderTransportReset` (built in `_boundary`), chained to the SDK's exception.
"""

from __future__ import annotations

__all__ = ["StreamClosedEarly"]


class StreamClosedEarly(Exception):
    """The provider's stream ended cleanly before its terminal event (a truncated turn).

    Its text names the provider and the missing event ("anthropic stream closed
    before message_stop"), which the classifier reads as a retryable timeout.
    """

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider

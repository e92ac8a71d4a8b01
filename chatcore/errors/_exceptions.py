"""Exceptions that callers raise so the classifier can read structured facts from them."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DeadlineExceeded", "ProviderError", "ProviderTransportReset"]


class ProviderError(Exception):
    """A provider answered with an error; carries what the HTTP response said."""

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers) if headers else {}
        self.body = body
        self.provider = provider


class ProviderTransportReset(Exception):
    """The provider dropped the stream while our chat was still alive (retryable)."""


class DeadlineExceeded(TimeoutError):
    """Our own deadline expired: classified as a timeout that must not be retried.

    A plain builtin ``TimeoutError`` (or ``asyncio.TimeoutError``) is treated the
    same way, since only our own code raises it; timeouts raised by the HTTP
    client libraries (httpx, httpcore, the SDKs) are the provider's and retry.
    """

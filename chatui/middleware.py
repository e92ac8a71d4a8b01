"""Request hygiene that every view relies on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

__all__ = ["RefuseNulMiddleware"]


class RefuseNulMiddleware:
    """Answer 400 to a query string holding a NUL character.

    No text we store may contain NUL (PostgreSQL refuses it), and Django's own
    admin filters pass query values straight to the database, where a NUL is a
    500 instead of a clear refusal.
    """

    async_capable = True
    sync_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]
    ) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def _refused(self, request: HttpRequest) -> HttpResponse | None:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query or any("\x00" in v for v in request.GET.values()):
            return HttpResponseBadRequest("NUL characters are not allowed in a request.\n")
        return None

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self._async:
            return self._acall(request)
        return self._refused(request) or self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return await self.get_response(request)  # type: ignore[no-any-return,misc]

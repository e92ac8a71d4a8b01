"""Request hygiene that every view relies on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase

__all__ = ["ContentSecurityPolicyMiddleware", "RefuseNulMiddleware"]


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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (``CONTENT_SECURITY_POLICY`` in the settings), with this
    host's own websocket origin added to ``connect-src``.

    ``'self'`` covers ``ws:``/``wss:`` of the page's own host in current browsers;
    naming it as well keeps the socket working in those that read CSP level 2,
    where ``'self'`` never matched another scheme.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts  # Django answers 400; the policy stays without a socket
        socket = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        update: dict[str, Any] = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", ()), socket]
        parts.update = update
        return parts

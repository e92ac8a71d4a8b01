"""The websocket Origin check: a socket is opened by a page of this very site, or refused.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host name with
``ALLOWED_HOSTS`` only, so a page served by any other port or scheme of an
allowed host (another local service, plain HTTP beside HTTPS) could open a
chat socket with the user's cookies. Here the Origin must be the socket's
own origin, scheme, host and port:

* the scheme is ``https`` when the handshake came over TLS (a ``wss`` scope)
  or a proxy says so (``X-Forwarded-Proto: https``; a browser page cannot set
  that header, so it cannot fake it), else ``http``;
* host and port are the ``Host`` header's (the default port of the scheme when
  it names none), and the host must be one of ``ALLOWED_HOSTS``;
* an Origin listed exactly in ``CSRF_TRUSTED_ORIGINS`` is accepted too, for a
  proxy that rewrites ``Host``.

A handshake without an Origin (or ``null``) is refused, as Channels does.
ASGI test clients send no ``Host``: then the scope's ``server`` is used, and
without that the Origin's host name with its scheme's default port.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

__all__ = ["SameOriginValidator", "origin_allowed"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class _Origin(NamedTuple):
    scheme: str
    host: str
    port: int


def _parse(origin: str) -> _Origin | None:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return _Origin(parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme])


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return ""


def _own_scheme(scope: dict[str, Any]) -> str:
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return "https" if forwarded == "https" else "http"


def _own(scope: dict[str, Any], claimed: _Origin) -> _Origin | None:
    """The socket's own origin; None when its host is not one of ours."""
    scheme = _own_scheme(scope)
    host_header = _header(scope, b"host")
    if host_header:
        domain, port = split_domain_port(host_header)
        if not domain:
            return None
        number = int(port) if port.isdigit() else _DEFAULT_PORTS[scheme]
    elif scope.get("server"):
        server_host, server_port = scope["server"][0], scope["server"][1]
        domain, number = str(server_host).lower(), int(server_port or _DEFAULT_PORTS[scheme])
    else:
        domain, number = claimed.host, _DEFAULT_PORTS[scheme]
    if not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return _Origin(scheme, domain.strip("[]"), number)


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether this websocket handshake comes from a page of this site (module docstring)."""
    raw = _header(scope, b"origin")
    claimed = _parse(raw) if raw and raw != "null" else None
    if claimed is None:
        return False
    trusted = {_parse(entry) for entry in getattr(settings, "CSRF_TRUSTED_ORIGINS", ())}
    if claimed in trusted:
        return True
    own = _own(scope, claimed)
    return own is not None and claimed == own


class SameOriginValidator:
    """ASGI middleware for websockets: refuse the handshake unless ``origin_allowed``."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

"""The JSON API (session-authenticated, owner-only) and the Prometheus `/metrics` endpoint.

Every answer is JSON; errors are `{"error": "..."}` with a 4xx status, except
the application's own limits, which answer with a `ChatError` body (`kind:
"usage_limit"`): 409 for turns in flight and the daily limit, 429 (with
`Retry-After`) for sends per minute. POSTs need the CSRF token (`X-CSRFToken`
header) like every form of the site; a body must be JSON (415 otherwise), and
it is read once.
"""

from __future__ import annotations

import functools
import hmac
import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils.html import linebreaks
from django.views import csrf, defaults
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from chatcore.chats import (
    MAX_SYSTEM_PROMPT_CHARS,
    ChatService,
    MessageRefused,
    Outgoing,
    SendOutcome,
    SendResult,
    SettingsRefused,
    search_chats,
    storable_text,
    validate_message,
    validate_request_id,
)
from chatcore.metrics import default_retry_metrics
from chatcore.models import Chat, Provider
from chatcore.runner.series import declare_known_series
from chatcore.runner.snapshot import chat_snapshot
from chatui import metrics as _web_metrics  # noqa: F401 - registers the web series
from chatui.markdown import render_markdown

__all__ = [
    "chat_detail",
    "chats",
    "csrf_failure",
    "edit_message",
    "messages",
    "metrics",
    "not_found",
    "regenerate",
    "retry",
    "stop",
]

MAX_BODY_BYTES = 256 * 1024
_MODEL_MAX_LENGTH = Chat._meta.get_field("model").max_length or 200

View = Callable[..., Coroutine[Any, Any, HttpResponse]]


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _allow(*methods: str) -> Callable[[View], View]:
    """``require_http_methods``, but the 405 is JSON like every other API error."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        async def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = _error(405, f"method not allowed; use {' or '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            return await view(request, *args, **kwargs)

        return checked

    return decorate


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: JSON under /api/ (bad ids, unknown paths), Django's page elsewhere."""
    if _is_api(request):
        return _error(404, "no such API endpoint or object")
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a JSON 403 under /api/, Django's page elsewhere."""
    if _is_api(request):
        return _error(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken")
    return csrf.csrf_failure(request, reason=reason)


def _chat_json(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.pk,
        "title": chat.title,
        "provider": chat.provider.name,
        "model": chat.model,
        "system_prompt": chat.system_prompt,
        "allow_fallback": chat.allow_fallback,
        "status": chat.status,
        "last_error": chat.error.to_json() if chat.error is not None else None,
        "created_at": chat.created_at.isoformat(),
        "updated_at": chat.updated_at.isoformat(),
    }


def _is_json(content_type: str) -> bool:
    # No Content-Type at all is taken as JSON: a client that says nothing sent nothing else.
    main = content_type.strip().lower()
    return main in ("", "application/json") or (
        main.startswith("application/") and main.endswith("+json")
    )


def _json_body(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """The request's JSON object, or the 4xx that says why not.

    The content type is checked before anything reads the body: Django parses a
    form or multipart body into ``request.POST`` on first access, after which
    the raw body can no longer be read.
    """
    if not _is_json(request.content_type or ""):
        return _error(415, "the request body must be JSON (Content-Type: application/json)")
    try:
        raw = request.body
    except RequestDataTooBig:
        return _error(413, "request body too large")
    except RawPostDataException:
        return _error(400, "the request body was already read as a form")
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, f"request body too large (at most {MAX_BODY_BYTES} bytes)")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return _error(400, "request body is not valid JSON")
    if not isinstance(data, dict):
        return _error(400, "request body must be a JSON object")
    return data


async def _user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    return await request.auser()


def _owned(user: Any, chat_id: int) -> Chat | None:
    return Chat.objects.for_owner(user).select_related("provider").filter(pk=chat_id).first()


async def _authenticated(request: HttpRequest) -> Any:
    user = await _user(request)
    return user if user.is_authenticated else None


def _owner_only(view: Callable[..., Coroutine[Any, Any, HttpResponse]]) -> View:
    """401 for anonymous requests, 404 for a chat that is not the user's; else the chat."""

    @functools.wraps(view)
    async def wrapped(request: HttpRequest, chat_id: int, **kwargs: Any) -> HttpResponse:
        user = await _authenticated(request)
        if user is None:
            return _error(401, "authentication required")
        chat = await sync_to_async(_owned)(user, chat_id)
        if chat is None:
            return _error(404, "no such chat")
        response: HttpResponse = await view(request, chat, **kwargs)
        return response

    return wrapped


@_allow("GET", "POST")
async def chats(request: HttpRequest) -> HttpResponse:
    user = await _authenticated(request)
    if user is None:
        return _error(401, "authentication required")
    if request.method == "GET":
        query = request.GET.get("q", "")
        if query.strip():
            found = await sync_to_async(_search)(user, query)
            return JsonResponse({"query": query, "chats": found})
        listing = await sync_to_async(_list_chats)(user)
        return JsonResponse({"chats": listing})
    data = _json_body(request)
    if isinstance(data, JsonResponse):
        return data
    checked = await sync_to_async(_create_chat)(user, data)
    if isinstance(checked, JsonResponse):
        return checked
    chat = await ChatService(get_channel_layer()).create(owner=user, **checked)
    return JsonResponse(await sync_to_async(_chat_json)(chat), status=201)


def _list_chats(user: Any) -> list[dict[str, Any]]:
    chats = Chat.objects.for_owner(user).select_related("provider").order_by("-updated_at", "-id")
    return [_chat_json(chat) for chat in chats]


def _search(user: Any, query: str) -> list[dict[str, Any]]:
    """The user's chats matching ``query`` (title or a message), each with the snippet of
    its newest matching message (``match``: null when only the title matched)."""
    hits = search_chats(int(user.pk), query)
    chats = Chat.objects.select_related("provider").in_bulk([hit.summary.chat_id for hit in hits])
    found = []
    for hit in hits:
        snippet = hit.snippet
        match = None
        if snippet is not None:
            match = {"text": snippet.before + snippet.match + snippet.after, "term": snippet.match}
        found.append({**_chat_json(chats[hit.summary.chat_id]), "match": match})
    return found


def _create_chat(user: Any, data: dict[str, Any]) -> dict[str, Any] | JsonResponse:
    """The checked fields of a new chat, or the error to answer."""
    ref, model, title = data.get("provider"), data.get("model", ""), data.get("title", "")
    prompt = data.get("system_prompt", "")
    if not isinstance(ref, (str, int)) or isinstance(ref, bool) or ref == "":
        return _error(400, "provider is required: a provider name or id")
    if not all(isinstance(text, str) for text in (model, title, prompt)):
        return _error(400, "model, title and system_prompt must be strings")
    if not all(storable_text(text) for text in (model, title, prompt, str(ref))):
        return _error(400, "provider, model and title must not contain NUL or lone surrogates")
    if len(prompt.strip()) > MAX_SYSTEM_PROMPT_CHARS:
        return _error(400, f"system_prompt is longer than {MAX_SYSTEM_PROMPT_CHARS} characters")
    providers = Provider.objects.enabled()
    # isascii: str.isdigit() also accepts "²" and other digits int() refuses.
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
        provider = providers.filter(pk=int(ref)).first()
    else:
        provider = providers.filter(name=ref).first()
    if provider is None:
        return _error(400, "unknown or disabled provider")
    model = model.strip() or provider.default_model
    if len(model) > _MODEL_MAX_LENGTH:
        return _error(400, f"model names are at most {_MODEL_MAX_LENGTH} characters")
    if not model or (provider.model_names and model not in provider.model_names):
        return _error(400, "unknown model for this provider", models=provider.model_names)
    return {
        "provider": provider,
        "model": model,
        "title": title.strip()[:200],
        "system_prompt": prompt.strip(),
    }


@_allow("GET", "PATCH", "DELETE")
@_owner_only
async def chat_detail(request: HttpRequest, chat: Chat) -> HttpResponse:
    """GET the chat; PATCH ``{title?, provider?, model?, system_prompt?, allow_fallback?}``;
    DELETE it."""
    if request.method == "DELETE":
        await ChatService(get_channel_layer()).delete(chat.pk)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        return await _patch(request, chat)
    snapshot = await chat_snapshot(get_channel_layer(), chat.pk)
    return JsonResponse({**_chat_json(chat), **_live_fields(snapshot)})


_PATCHABLE = frozenset({"title", "provider", "model", "system_prompt", "allow_fallback"})


async def _patch(request: HttpRequest, chat: Chat) -> HttpResponse:
    """Rename, switch the next turn's model (and provider), set the system prompt."""
    data = _json_body(request)
    if isinstance(data, JsonResponse):
        return data
    unknown = sorted(set(data) - _PATCHABLE)
    if unknown or not data:
        return _error(400, f"send some of {sorted(_PATCHABLE)}", unknown=unknown)
    service = ChatService(get_channel_layer())
    try:
        if "title" in data:
            await service.rename(chat.pk, data["title"])
        options = await sync_to_async(_settings_options)(data)
        if options:
            await service.update_settings(chat.pk, **options)
    except SettingsRefused as refused:
        return _error(400, refused.reason)
    except _BadProvider:
        return _error(400, "unknown provider: give a provider name or id")
    fresh = await sync_to_async(_owned)(await _authenticated(request), chat.pk)
    if fresh is None:
        return _error(404, "no such chat")
    return JsonResponse(_chat_json(fresh))


class _BadProvider(ValueError):
    pass


def _settings_options(data: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if "provider" in data:
        ref = data["provider"]
        if isinstance(ref, bool) or not isinstance(ref, (str, int)):
            raise _BadProvider
        providers = Provider.objects.all()
        if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
            provider = providers.filter(pk=int(ref)).first()
        else:
            provider = providers.filter(name=ref).first()
        if provider is None:
            raise _BadProvider
        options["provider"] = provider
    if "model" in data:
        if not isinstance(data["model"], str):
            raise SettingsRefused("model must be a string")
        options["model"] = data["model"]
    if "system_prompt" in data:
        options["system_prompt"] = data["system_prompt"]
    if "allow_fallback" in data:
        if not isinstance(data["allow_fallback"], bool):
            raise SettingsRefused("allow_fallback must be true or false")
        options["allow_fallback"] = data["allow_fallback"]
    return options


def _live_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": snapshot["status"],
        "last_error": snapshot["last_error"],
        "messages": [_message_json(message) for message in snapshot["messages"]],
        "seq": snapshot["seq"],
        "live": snapshot["live"],
    }


def _message_json(message: dict[str, Any]) -> dict[str, Any]:
    """A transcript row with its rendered HTML (answers are markdown; questions plain text)."""
    keys = ("id", "role", "text", "created_at", "stopped", "model")
    shown = {key: message[key] for key in keys}
    if message["role"] == "assistant":
        shown["html"] = str(render_markdown(message["text"]))
    else:
        shown["html"] = str(linebreaks(message["text"], autoescape=True))
    if "versions" in message:
        shown["versions"] = message["versions"]
    if message.get("fallback_from"):
        shown["fallback_from"] = message["fallback_from"]
    return shown


# The validator's refusals, as the API words them (400).
_REFUSALS = {
    "malformed": "content must be a string without NUL characters or lone surrogates",
    "empty": "content must be a non-empty string",
    "too_long": "content is longer than {limit} characters",
    "id_too_long": "client_request_id must be a string of at most {limit} characters",
}


@_allow("POST")
@_owner_only
async def messages(request: HttpRequest, chat: Chat) -> HttpResponse:
    outgoing = _outgoing(request)
    if isinstance(outgoing, JsonResponse):
        return outgoing
    result = await ChatService(get_channel_layer()).send(chat.pk, outgoing)
    return _accepted(chat, result)


def _accepted(chat: Chat, result: SendResult) -> HttpResponse:
    """The answer to a send, an edit or a regenerate: 202, or why not."""
    refusal = _send_refused(result)
    if refusal is not None:
        return refusal
    if result.outcome is SendOutcome.NOT_LAST:
        return _error(409, "only the last message can be edited, and the last answer regenerated")
    message = result.message
    body: dict[str, Any] = {
        "chat": chat.pk,
        "duplicate": result.outcome is SendOutcome.DUPLICATE,
    }
    if message is not None:
        body["message"] = {"id": message.pk, "role": message.role, "text": message.text}
    return JsonResponse(body, status=202)


def _outgoing(request: HttpRequest) -> Outgoing | JsonResponse:
    """The message a send or an edit carries, validated, or the 4xx that refuses it."""
    read = _body_and_request_id(request)
    if isinstance(read, JsonResponse):
        return read
    data, request_id = read
    try:
        return validate_message(data.get("content"), request_id)
    except MessageRefused as refused:
        return _error(400, _REFUSALS[refused.code].format(**refused.params))


def _body_and_request_id(request: HttpRequest) -> tuple[dict[str, Any], str] | JsonResponse:
    """The JSON body and its client request id, or the 4xx that refuses them."""
    data = _json_body(request)
    if isinstance(data, JsonResponse):
        return data
    request_id = _request_id(request, data)
    if isinstance(request_id, JsonResponse):
        return request_id
    return data, request_id


def _request_id(request: HttpRequest, data: dict[str, Any]) -> str | JsonResponse:
    # Only a missing (or null) id is "none": a falsy non-string ({}, 0, false) is
    # no more "no id" than a truthy one.
    header = request.headers.get("Idempotency-Key")
    request_id = header if header else data.get("client_request_id")
    if request_id is None:
        request_id = ""
    if not isinstance(request_id, str):
        return _error(400, "client_request_id must be a string")
    return request_id


@_allow("POST")
@_owner_only
async def regenerate(request: HttpRequest, chat: Chat) -> HttpResponse:
    """Answer the last question again; the current answer stays as an earlier version."""
    read = _body_and_request_id(request)
    if isinstance(read, JsonResponse):
        return read
    try:
        request_id = validate_request_id(read[1])
    except MessageRefused as refused:
        return _error(400, _REFUSALS[refused.code].format(**refused.params))
    result = await ChatService(get_channel_layer()).regenerate(
        chat.pk, client_request_id=request_id
    )
    return _accepted(chat, result)


@_allow("POST")
@_owner_only
async def edit_message(request: HttpRequest, chat: Chat, message_id: int) -> HttpResponse:
    """Send a new version of the chat's last question (its answer is then written again)."""
    outgoing = _outgoing(request)
    if isinstance(outgoing, JsonResponse):
        return outgoing
    result = await ChatService(get_channel_layer()).edit(chat.pk, message_id, outgoing)
    return _accepted(chat, result)


# A refused send's status. Our own limits answer with their `ChatError`.
_SEND_STATUS: dict[SendOutcome, int] = {
    SendOutcome.BUSY: 409,
    SendOutcome.CONFLICT: 422,
    SendOutcome.ACTIVE_LIMIT: 409,
    SendOutcome.RATE_LIMIT: 429,
    SendOutcome.USAGE_LIMIT: 409,
}
_SEND_ERRORS = {
    SendOutcome.BUSY: "a turn is already in progress in this chat",
    SendOutcome.CONFLICT: (
        "this Idempotency-Key (client_request_id) was already used for a different message; "
        "a new message needs a new key"
    ),
}


def _send_refused(result: SendResult) -> JsonResponse | None:
    status = _SEND_STATUS.get(result.outcome)
    if status is None:
        return None
    if result.error is None:
        return _error(status, _SEND_ERRORS[result.outcome])
    response = JsonResponse(result.error.to_json(), status=status)
    if status == 429 and result.retry_after > 0:
        response["Retry-After"] = str(math.ceil(result.retry_after))
    return response


@_allow("POST")
@_owner_only
async def stop(request: HttpRequest, chat: Chat) -> HttpResponse:
    await ChatService(get_channel_layer()).stop(chat.pk)
    return JsonResponse({"chat": chat.pk, "stopping": True}, status=202)


@_allow("POST")
@_owner_only
async def retry(request: HttpRequest, chat: Chat) -> HttpResponse:
    result = await ChatService(get_channel_layer()).retry_now(chat.pk)
    if result.action == "too_early":
        seconds = round(result.seconds_left, 1)
        return _error(
            409, f"the provider accepts requests again in {seconds:g} s", seconds_left=seconds
        )
    if result.action == "refused" and result.error is not None:
        return JsonResponse(result.error.to_json(), status=409)
    if result.action == "nothing":
        return _error(409, "there is nothing to retry in this chat")
    return JsonResponse({"chat": chat.pk, "action": result.action}, status=202)


async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text for staff sessions or `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    bearer_ok = bool(token) and hmac.compare_digest(header.encode(), f"Bearer {token}".encode())
    if not bearer_ok:
        user = await _user(request)
        if not (user.is_authenticated and getattr(user, "is_staff", False)):
            return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    # Every configured provider's series at 0 before its first turn (and the
    # counters registered at all in a web process that runs no turns).
    await sync_to_async(declare_known_series)(default_retry_metrics())
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

"""Changelist filters over keys of the JSON `last_error` (work on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from chatcore.errors import ErrorKind, kind_label

__all__ = ["ErrorKindFilter", "HasErrorFilter", "RetryKindFilter", "RetryableFilter"]

_KINDS = frozenset(kind.value for kind in ErrorKind)


class _KindFilter(admin.SimpleListFilter):
    """An error kind, with the same humanised labels as the pills; ``field`` holds it."""

    title = "error kind"
    field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(kind.value, kind_label(kind)) for kind in ErrorKind]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value not in _KINDS:
            # Django's answer to a bad filter value; a NUL in it would also make
            # PostgreSQL refuse the JSON lookup (a 500).
            raise IncorrectLookupParameters(f"unknown error kind {value!r}")
        return queryset.filter(**{self.field: value})


class ErrorKindFilter(_KindFilter):
    """The kind of a chat's stored last error."""

    parameter_name = "error_kind"
    field = "last_error__kind"


class RetryKindFilter(_KindFilter):
    """The kind of a retry event."""

    title = "kind"
    parameter_name = "kind"
    field = "kind"


class RetryableFilter(admin.SimpleListFilter):
    title = "retryable"
    parameter_name = "retryable"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(last_error__retryable=True)
        if self.value() == "no":
            # Errors without the flag (migrated legacy text) are not retryable.
            # (A negated key lookup would drop rows lacking the key on SQLite.)
            flag_false_or_missing = Q(last_error__retryable=False) | Q(
                last_error__retryable__isnull=True
            )
            return queryset.filter(flag_false_or_missing, last_error__isnull=False)
        return queryset


class HasErrorFilter(admin.SimpleListFilter):
    title = "has error"
    parameter_name = "has_error"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(last_error__isnull=self.value() == "no")
        return queryset

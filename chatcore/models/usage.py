"""Per-user admission state: the row every send of a user locks, and the counters it keeps."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["UsageCounter"]


class UsageCounter(models.Model):
    """One row per user: today's turns and the current one-minute send window.

    ``chatcore.chats.admission`` writes this row first in every admission, so
    the row (PostgreSQL) or the database (SQLite) stays locked until the
    transaction that stores the send commits: two sends of one user are decided
    one after the other, never both on the same count.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="usage_counter",
    )
    # The UTC day `turns` counts; a send on a later day starts again from zero.
    day = models.DateField(null=True, blank=True)
    turns = models.PositiveIntegerField(default=0)
    # A fixed one-minute window starting at its first send.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_sends = models.PositiveIntegerField(default=0)
    # Written at the start of every admission: the write is what takes the lock.
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"usage of user {self.user_id}"

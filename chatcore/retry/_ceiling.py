"""The terminal message for a Retry-After longer than we are willing to wait.

The classifier's terminal messages do not know about our ceiling, so the loop
builds this one from public pieces: the provider's display name, the moment
the provider accepts requests again (absolute UTC) and the wait, humanised.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime

from chatcore.errors import ClassifiedError, provider_display_name

__all__ = ["beyond_ceiling_classification", "humanise_duration"]

_UNITS: tuple[tuple[str, int], ...] = (
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


def humanise_duration(seconds: float) -> str:
    """``4_000`` → "1 hour 7 minutes": at most two units, rounded up, never "0 seconds".

    Rounding up (to seconds, minutes or hours by magnitude) matters: saying
    "1 hour" for 1 h 0 min 30 s would invite the user back half a minute early.
    """
    total = max(math.ceil(seconds), 1)
    step = 1 if total < 60 else 60 if total < 86_400 else 3_600
    remaining = math.ceil(total / step) * step
    parts: list[str] = []
    for name, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}" if count == 1 else f"{count} {name}s")
    return " ".join(parts)


def beyond_ceiling_classification(classified: ClassifiedError, *, now: float) -> ClassifiedError:
    """``classified`` with a terminal message saying when the provider accepts requests again.

    Kind, status code, provider and Retry-After stay as classified, so metrics,
    the status chip and the stored error still tell what the provider said.
    """
    name = provider_display_name(classified.provider)
    subject = name[0].upper() + name[1:]
    when = f"in {humanise_duration(classified.retry_after)}"
    try:
        until = datetime.fromtimestamp(math.ceil(now + classified.retry_after), tz=UTC)
    except (OverflowError, OSError, ValueError):
        pass  # a date past year 9999: the humanised duration alone says enough
    else:
        when += f", at {until:%Y-%m-%d %H:%M:%S} UTC"
    message = (
        f"{subject} accepts requests again {when}; that is longer than automatic "
        "retries wait. Send the message again after that time."
    )
    return dataclasses.replace(classified, message=message)

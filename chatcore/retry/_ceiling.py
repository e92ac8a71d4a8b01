"""The terminal message for a Retry-After longer than we are willing to wait.

The classifier's terminal messages do not know about our ceiling, so the loop
builds this one from public pieces: the provider's display name, the moment
the provider accepts requests again (absolute UTC) and the wait, humanised.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime

from chatcore.errors import ClassifiedError, humanise_duration, provider_display_name

__all__ = ["beyond_ceiling_classification", "humanise_duration"]


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

"""The retry budget: retries per provider capped at a share of its recent first attempts.

A fixed window of ``budget_window`` seconds counts first attempts and retries; a retry is
allowed while ``retries < budget_floor + budget_ratio * first_attempts``. The floor lets a
quiet provider retry at all; the ratio keeps an outage from multiplying the traffic. A
refused retry is not a failure: the chat waits for the next window and asks again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chatcore.health.rules import HealthConfig

__all__ = ["Budget", "allowed_retries", "charge"]


@dataclass(frozen=True, slots=True)
class Budget:
    """One provider's window: when it began, and what it counted since."""

    since: float | None = None
    first_attempts: int = 0
    retries: int = 0

    def rolled(self, *, now: float, config: HealthConfig) -> Budget:
        """The window at ``now``: a fresh one once the last has run out."""
        if self.since is None or now - self.since >= config.budget_window or now < self.since:
            return Budget(since=now)
        return self


def allowed_retries(budget: Budget, config: HealthConfig) -> int:
    """How many retries this window allows in all."""
    return config.budget_floor + int(config.budget_ratio * budget.first_attempts)


def charge(
    budget: Budget, *, retry: bool, now: float, config: HealthConfig
) -> tuple[bool, Budget, float]:
    """Count one attempt; ``(allowed, budget after, retry no earlier than)``.

    A first attempt is always allowed (and widens the budget); a retry is allowed
    while the window has room. A refused one counts nothing and waits for the next window.
    """
    budget = budget.rolled(now=now, config=config)
    if not retry:
        return True, dataclasses.replace(budget, first_attempts=budget.first_attempts + 1), now
    if budget.retries < allowed_retries(budget, config):
        return True, dataclasses.replace(budget, retries=budget.retries + 1), now
    assert budget.since is not None
    return False, budget, budget.since + config.budget_window

"""`/metrics` scraped and parsed like Prometheus does: every documented series is there,
at 0 for every configured provider and model before anything happened."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from chatcore.errors import ErrorKind
from chatcore.models import ModelFallback
from chatcore.retry import RETRYABLE_KINDS, TURN_OUTCOMES
from tests.chatcore.persistence.factories import make_provider, make_user

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def documented_series() -> dict[str, str]:
    """Series name -> type, from the metrics table of docs/operations.md."""
    text = DOCS.read_text()
    table = text[text.index("<!-- metrics-table") :].split("\n\n", 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \| (counter|gauge|histogram) \|", table, re.M))


def scrape() -> dict[str, list[tuple[str, dict[str, str], float]]]:
    client = Client()
    client.force_login(make_user(staff=True, username="scraper"))
    response = client.get("/metrics")
    assert response.status_code == 200
    families: dict[str, list[tuple[str, dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        families[family.name] = [(s.name, s.labels, s.value) for s in family.samples]
    return families


def test_the_docs_list_the_series() -> None:
    series = documented_series()
    assert len(series) >= 9
    assert series["chatd_turns_total"] == "counter"
    assert series["chatd_turn_first_token_seconds"] == "histogram"


def test_every_documented_series_is_in_a_scrape() -> None:
    provider = make_provider(name="scraped", models=["m-1", "m-2"], default_model="m-1")
    ModelFallback.objects.create(provider=provider, model="m-1", to_model="m-2")
    families = scrape()
    for name, kind in documented_series().items():
        # The parser names a counter's family without its "_total".
        family = name.removesuffix("_total") if kind == "counter" else name
        assert family in families, f"{name} is documented but not exported"
        assert families[family], f"{name} has no sample"


def test_a_configured_provider_has_every_series_at_zero_before_its_first_turn() -> None:
    make_provider(name="quiet", models=["still"], default_model="still")
    families = scrape()
    labels = {"provider": "quiet", "model": "still"}

    def value(family: str, sample: str, **extra: str) -> float | None:
        wanted = {**labels, **extra}
        return next((v for n, got, v in families[family] if n == sample and got == wanted), None)

    for outcome in TURN_OUTCOMES:
        assert value("chatd_turns", "chatd_turns_total", outcome=outcome) == 0
        assert (
            value(
                "chatd_turn_duration_seconds", "chatd_turn_duration_seconds_count", outcome=outcome
            )
            == 0
        )
    for kind in ErrorKind:
        assert value("chatd_stream_errors", "chatd_stream_errors_total", kind=kind) == 0
    for kind in RETRYABLE_KINDS:
        assert (
            value(
                "chatd_stream_retries",
                "chatd_stream_retries_total",
                kind=kind,
                chain_broken="false",
            )
            == 0
        )
        assert value("chatd_retry_wait_seconds", "chatd_retry_wait_seconds_count", kind=kind) == 0
    assert value("chatd_turn_first_token_seconds", "chatd_turn_first_token_seconds_count") == 0
    resyncs = {
        got["reason"]
        for n, got, v in families["chat_page_resyncs"]
        if n == "chat_page_resyncs_total"
    }
    assert resyncs >= {"gap", "watchdog"}


def test_a_configured_fallback_has_a_series_at_zero_per_reason_it_can_switch_for() -> None:
    provider = make_provider(name="falls", models=["big", "small"], default_model="big")
    ModelFallback.objects.create(provider=provider, model="big", to_model="small")
    ModelFallback.objects.create(
        provider=provider,
        model="small",
        to_model="big",
        on_overloaded=False,
        on_context_length=True,
        on_rate_limit=True,
    )
    ours = {
        (got["from_model"], got["to_model"], got["reason"]): value
        for name, got, value in scrape()["chatd_fallbacks"]
        if name == "chatd_fallbacks_total" and got["provider"] == "falls"
    }
    assert ours == {
        ("big", "small", "overloaded"): 0,
        ("big", "small", "breaker_open"): 0,
        ("small", "big", "context_length"): 0,
        ("small", "big", "rate_limit"): 0,
    }


def test_a_disabled_provider_is_not_declared() -> None:
    make_provider(name="switched-off", models=["x"], default_model="x", enabled=False)
    families = scrape()
    assert not [
        got for _, got, _ in families["chatd_turns"] if got.get("provider") == "switched-off"
    ]

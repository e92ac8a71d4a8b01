"""The Prometheus recorder: retries and terminal errors by provider, model and kind."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from chatcore.errors import ClassifiedError, ErrorKind, ProviderError
from chatcore.metrics import RetryMetrics, default_retry_metrics
from chatcore.retry import RetryGaveUp, RetryPolicy, run_with_retry
from tests.chatcore.retry.scripted import RecordingSleep, Script, overloaded

RETRIES = "chatd_stream_retries_total"
ERRORS = "chatd_stream_errors_total"


@pytest.fixture
def metrics() -> RetryMetrics:
    return RetryMetrics(CollectorRegistry())


def value(metrics: RetryMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("kind", list(ErrorKind), ids=[kind.value for kind in ErrorKind])
def test_every_error_kind_is_counted_under_its_own_label(
    metrics: RetryMetrics, kind: ErrorKind
) -> None:
    classified = ClassifiedError(kind=kind, provider="anthropic")
    recorder = metrics.for_turn(model="claude-sonnet-4")
    recorder.record_retry(classified)
    recorder.record_retry(classified)
    recorder.record_error(classified)
    base = {"provider": "anthropic", "model": "claude-sonnet-4", "kind": kind.value}
    assert value(metrics, RETRIES, **base, chain_broken="false") == 2
    assert value(metrics, ERRORS, **base) == 1
    # No other kind was touched.
    others = [other for other in ErrorKind if other != kind]
    assert all(value(metrics, ERRORS, **{**base, "kind": other.value}) == 0 for other in others)


@pytest.mark.parametrize(
    ("chain_broken", "label"),
    [pytest.param(True, "true", id="chain_broken_true"), pytest.param(False, "false", id="false")],
)
def test_chain_broken_is_a_lower_case_label(
    metrics: RetryMetrics, chain_broken: bool, label: str
) -> None:
    classified = ClassifiedError(
        kind=ErrorKind.GENERIC, provider="openai", chain_broken=chain_broken
    )
    metrics.record_retry(classified, model="gpt-5")
    labels = {"provider": "openai", "model": "gpt-5", "kind": "generic"}
    assert value(metrics, RETRIES, **labels, chain_broken=label) == 1


def test_an_empty_kind_is_counted_as_generic(metrics: RetryMetrics) -> None:
    metrics.record_error(ClassifiedError(), model="m", provider="openai")
    assert value(metrics, ERRORS, provider="openai", model="m", kind="generic") == 1


def test_the_turns_provider_wins_over_the_classified_one(metrics: RetryMetrics) -> None:
    classified = ClassifiedError(kind=ErrorKind.TIMEOUT, provider="openai")
    metrics.for_turn(model="llama3", provider="openai-compat").record_retry(classified)
    labels = {"model": "llama3", "kind": "timeout", "chain_broken": "false"}
    assert value(metrics, RETRIES, provider="openai-compat", **labels) == 1
    assert value(metrics, RETRIES, provider="openai", **labels) == 0


async def test_the_loop_counts_each_retry_and_the_terminal_failure(metrics: RetryMetrics) -> None:
    errors = [overloaded(), overloaded(), ProviderError("Incorrect API key", status_code=401)]
    with pytest.raises(RetryGaveUp):
        await run_with_retry(
            Script(errors),
            sleep=RecordingSleep(),
            provider="anthropic",
            recorder=metrics.for_turn(model="claude-opus-4"),
        )
    base = {"provider": "anthropic", "model": "claude-opus-4"}
    assert value(metrics, RETRIES, **base, kind="overloaded", chain_broken="false") == 2
    assert value(metrics, ERRORS, **base, kind="auth") == 1
    assert value(metrics, ERRORS, **base, kind="overloaded") == 0


async def test_exhaustion_is_one_terminal_error_of_the_last_kind(metrics: RetryMetrics) -> None:
    with pytest.raises(RetryGaveUp):
        await run_with_retry(
            Script([overloaded()] * 3),
            policy=RetryPolicy(max_attempts=3),
            sleep=RecordingSleep(),
            recorder=metrics.for_turn(model="m"),
        )
    labels = {"provider": "anthropic", "model": "m", "kind": "overloaded"}
    assert value(metrics, RETRIES, **labels, chain_broken="false") == 2
    assert value(metrics, ERRORS, **labels) == 1


async def test_success_counts_no_error(metrics: RetryMetrics) -> None:
    await run_with_retry(Script([]), sleep=RecordingSleep(), recorder=metrics.for_turn(model="m"))
    assert b"chatd_stream_errors_total{" not in generate_latest(metrics.registry)


def test_exposition_names_and_labels(metrics: RetryMetrics) -> None:
    classified = ClassifiedError(kind=ErrorKind.RATE_LIMIT, provider="openai")
    metrics.record_retry(dataclasses.replace(classified, chain_broken=True), model="gpt-5")
    text = generate_latest(metrics.registry).decode()
    assert "# TYPE chatd_stream_retries_total counter" in text
    assert "# TYPE chatd_stream_errors_total counter" in text
    assert (
        'chatd_stream_retries_total{chain_broken="true",kind="rate_limit",model="gpt-5",'
        'provider="openai"} 1.0'
    ) in text


def test_the_default_metrics_live_once_in_the_default_registry() -> None:
    first = default_retry_metrics()
    assert first is default_retry_metrics()
    assert first.registry is REGISTRY
    assert "chatd_stream_retries" in {metric.name for metric in REGISTRY.collect()}


def test_a_second_recorder_in_the_same_registry_is_refused() -> None:
    registry = CollectorRegistry()
    RetryMetrics(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        RetryMetrics(registry)

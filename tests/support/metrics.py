"""Reading /metrics as Prometheus would."""

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "test-metrics-token-0123456789abcdefghij"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, labels: Mapping[str, str] | None = None) -> float:
    """One sample's value; 0 when the scrape has no such series."""
    return samples.get((name, frozenset((labels or {}).items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}

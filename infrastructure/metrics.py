"""What a running node shows of itself in Prometheus' text format (`GET /metrics`).

One registry per application instance (tests run several servers in one process), never the
global default. Events are counted where they happen; what some object already keeps (the
engine batcher's commits, the views' positions, the queue) is read when Prometheus scrapes,
through `read_at_scrape`. docs/operations.md lists every metric.
"""

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

Reading = Callable[[], Iterable[Metric]]

# Requests and steps: from a millisecond to a step's worst (an install takes minutes).
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._readings: list[Reading] = []
        self.registry.register(_AtScrape(self._readings))
        r = self.registry
        self.http_requests = Counter(
            "arbiter_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.http_seconds = Histogram(
            "arbiter_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=SECONDS,
            registry=r,
        )
        self.tasks_created = Counter(
            "arbiter_tasks_created", "Tasks created, by template.", ["template"], registry=r
        )
        self.tasks_finished = Counter(
            "arbiter_tasks_finished",
            "Tasks that ended, by template and final status (a task retried after a failure "
            "ends again).",
            ["template", "status"],
            registry=r,
        )
        self.step_seconds = Histogram(
            "arbiter_subtask_run_duration_seconds",
            "How long a subtask's step (or undo) ran on this node, by step and outcome.",
            ["step", "outcome"],
            buckets=SECONDS,
            registry=r,
        )
        self.claims = Counter(
            "arbiter_engine_claims",
            "Subtasks this node's engine claimed: a READY one (claim), the next one claimed "
            "by an outcome's commit (chained), or a lost executor's (take_over).",
            ["kind"],
            registry=r,
        )
        self.claims_lost = Counter(
            "arbiter_engine_claims_lost",
            "Claims that found the subtask no longer claimable (another node won the race).",
            registry=r,
        )
        self.engine_batch_size = Histogram(
            "arbiter_engine_batch_size",
            "Claims and outcomes saved by one commit of the engine's batcher.",
            buckets=BATCH,
            registry=r,
        )
        self.agent_errors = Counter(
            "arbiter_agent_call_errors",
            "Host-agent calls that failed, by kind: http_<status>, timeout, unreachable.",
            ["kind"],
            registry=r,
        )

    def read_at_scrape(self, reading: Reading) -> Callable[[], None]:
        """Add metrics read when Prometheus scrapes; returns what removes them again."""
        self._readings.append(reading)
        return lambda: self._readings.remove(reading)

    def exposition(self) -> bytes:
        """The text format. Readings may query the store: call it off the event loop."""
        return generate_latest(self.registry)


class _AtScrape(Collector):
    def __init__(self, readings: list[Reading]) -> None:
        self._readings = readings

    def collect(self) -> Iterator[Metric]:
        for reading in list(self._readings):
            yield from reading()

"""Two application instances on one store (two nodes), many threads: the store decides."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.caller import Caller
from domain.errors import DomainError, ServiceBusy
from domain.task import Task
from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.test_upgrade_store import NEW, WHO, seed_service

THREADS = 10  # per node


@pytest.fixture
def nodes(store: StoreConfig) -> Iterator[tuple[ArbiterApp, ArbiterApp]]:
    first, second = ArbiterApp(store, "10.0.0.1"), ArbiterApp(store, "10.0.0.2")
    yield first, second
    first.close()
    second.close()


def race(
    nodes: tuple[ArbiterApp, ArbiterApp], call: Callable[[ArbiterApp, int], Task]
) -> list[Task | DomainError]:
    """Every thread calls at once, alternating nodes; each result or domain error, in order."""

    def one(n: int) -> Task | DomainError:
        try:
            return call(nodes[n % 2], n)
        except DomainError as error:
            return error

    with ThreadPoolExecutor(2 * THREADS) as pool:
        return list(pool.map(one, range(2 * THREADS)))


def created_tasks(app: ArbiterApp) -> int:
    return len(app.recorder.select_notifications(None, 10_000, topics=["arbiter:TaskCreated"]))


def test_one_token_across_nodes_makes_one_task(nodes: tuple[ArbiterApp, ArbiterApp]) -> None:
    service_id = seed_service(nodes[0])

    results = race(nodes, lambda app, n: app.upgrade(service_id, NEW, "shared-token", WHO))

    assert all(isinstance(r, Task) for r in results), results
    assert len({r.task_id for r in results if isinstance(r, Task)}) == 1
    assert created_tasks(nodes[0]) == 1


def test_different_tokens_across_nodes_make_one_task(
    nodes: tuple[ArbiterApp, ArbiterApp],
) -> None:
    service_id = seed_service(nodes[0])

    results = race(
        nodes,
        lambda app, n: app.upgrade(
            service_id, NEW, f"token-{n:03d}", Caller(f"u{n}", WHO.trace_id)
        ),
    )

    tasks = [r for r in results if isinstance(r, Task)]
    assert len(tasks) == 1
    errors = [r for r in results if not isinstance(r, Task)]
    assert all(isinstance(e, ServiceBusy) and e.task_id == tasks[0].task_id for e in errors)
    assert created_tasks(nodes[1]) == 1
    assert nodes[1].get_service(service_id).active_task_id == tasks[0].task_id

"""The model checks' budget: `fast` in `make test`, `deep` by hand (`make modelcheck`).

Selected by ARBITER_MODEL_PROFILE; it sets the explorer's bounds and the hypothesis settings.
"""

import os
from dataclasses import dataclass

from hypothesis import HealthCheck, settings


@dataclass(frozen=True)
class Profile:
    name: str
    bound: int  # runTime bound of every exploration
    exact: dict[str, int]  # templates also explored with the exact key, and their runTime bound
    examples: int  # hypothesis examples per stateful test
    steps: int  # hypothesis steps per example


FAST = Profile("fast", 3, {"start": 3, "stop": 3, "delete": 3, "upgrade": 1}, 20, 30)
DEEP = Profile(
    "deep",
    3,
    {"start": 3, "stop": 3, "restart": 3, "delete": 3, "create": 3, "upgrade": 2},
    80,
    50,
)
PROFILE = {"fast": FAST, "deep": DEEP}[os.environ.get("ARBITER_MODEL_PROFILE", "fast")]

for profile in (FAST, DEEP):
    settings.register_profile(
        f"arbiter-{profile.name}",
        max_examples=profile.examples,
        stateful_step_count=profile.steps,
        deadline=None,  # store round trips vary with the machine's load
        suppress_health_check=[HealthCheck.too_slow],
        database=None,  # no example database in the work tree
    )
STATEFUL = settings.get_profile(f"arbiter-{PROFILE.name}")

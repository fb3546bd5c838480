"""The arbiter application: every use case mixin over one event store."""

from infrastructure.engine_use_cases import EngineUseCases
from infrastructure.projections.use_cases import ProjectionUseCases
from infrastructure.tasks import TaskUseCases


class ArbiterApp(EngineUseCases, TaskUseCases, ProjectionUseCases):
    """All of arbiter's use cases over one event store (add a use-case mixin to the bases)."""

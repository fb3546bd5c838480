"""Everything that touches the outside: the event store, use cases, the engine, projections."""

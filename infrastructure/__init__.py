"""Everything that touches the outside, in rooms (docs/architecture.md): use_cases, engine,
projections, persistence, the simulated host agent and its client."""

"""The task engine's runtime: the dispatcher and its workers, the batcher of claims and outcomes,
the steps each subtask runs on its host, and the pool of host-agent clients. What a claim or an
outcome decides is the use cases' (infrastructure/use_cases/engine_claims.py) and the domain's."""

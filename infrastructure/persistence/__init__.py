"""Where things are kept: the event store's configuration, and the one SQL adapter that our own
tables (ids, the engine's queue and heartbeats, the views, the leader lock) all go through."""

"""The `arbiter` client commands: a running server's API over HTTP, never the store."""

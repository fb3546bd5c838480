"""The task engine: workers that claim and run subtasks, leases, heartbeats and timeouts."""

"""The simulated host agent: arbitration services by port, on disk, with a ledger and faults."""

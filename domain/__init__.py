"""The pure model of arbiter: aggregates, their events, the state rules. No I/O, no clock."""

"""Read models derived from the notification log, each rebuildable from position 0."""

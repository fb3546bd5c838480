"""The web console at `/`: sign-in, services, tasks, the live DAG and its replay, audit."""

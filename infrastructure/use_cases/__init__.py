"""arbiter's use cases, one module per area, composed into one flat application (application.py).

Each use case reads the aggregates it needs through a Session (session.py), decides with domain
commands, and saves what changed through the same Session.
"""

"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from summit import create_app
from summit.checks import warn_at_start

app = create_app()
warn_at_start(app)  # once, in the log: what this machine lacks and what it costs

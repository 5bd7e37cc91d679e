"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from summit import create_app

app = create_app()

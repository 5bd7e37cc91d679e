"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``.

Process-wide settings belong here, in the server's start-up, not in ``create_app``:
importing or building the app changes nothing outside it.
"""

from summit import create_app
from summit.checks import warn_at_start
from summit.documents.pdf import return_large_buffers_promptly

return_large_buffers_promptly()  # web workers print tickets, invoices and certificates
app = create_app()
warn_at_start(app)  # once, in the log: what this machine lacks and what it costs

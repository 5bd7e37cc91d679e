"""Absolute URLs for emails, QR codes and PDFs, which leave the browser's context."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, url_for
from werkzeug.routing import MapAdapter

DEV_SERVER = "http://127.0.0.1:5000"


def absolute_url(endpoint: str, **values) -> str:
    """``SUMMIT_PUBLIC_URL`` + the path when configured, else the current host.

    Outside a request and without a public URL, falls back to the local dev server,
    which is what ``flask --app summit demo`` serves.
    """
    base = current_app.config.get("PUBLIC_URL")
    if has_request_context() and base:
        return base + url_for(endpoint, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    app = current_app._get_current_object()
    app.inject_url_defaults(endpoint, values)
    if base:
        return base + _adapter(app).build(endpoint, values)
    return _adapter(app).build(endpoint, values, force_external=True)


def _adapter(app: Flask) -> MapAdapter:
    """The app's routes bound to the development server's address, made once per app.

    Building a URL outside a request used to push a test request context each time,
    a third of a millisecond: several per certificate in a bulk issue. The public
    URL is prefixed by the caller, so changing it needs no new adapter.
    """
    adapter = app.extensions.get("summit.url_adapter")
    if adapter is None:
        parts = urlsplit(DEV_SERVER)
        adapter = app.url_map.bind(parts.netloc, url_scheme=parts.scheme)
        app.extensions["summit.url_adapter"] = adapter
    return adapter

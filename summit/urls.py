"""Absolute URLs for emails, QR codes and PDFs, which leave the browser's context."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    """``SUMMIT_PUBLIC_URL`` + the path when configured, else the current host.

    Outside a request and without a public URL, falls back to the local dev server,
    which is what ``flask --app summit demo`` serves.
    """
    base = current_app.config.get("PUBLIC_URL")
    if base:
        if has_request_context():
            path = url_for(endpoint, **values)
        else:
            with current_app.test_request_context("/"):
                path = url_for(endpoint, **values)
        return base + path
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        return url_for(endpoint, _external=True, **values)

"""Absolute URLs for emails, QR codes and PDFs, which leave the browser's context."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, url_for
from werkzeug.routing import IntegerConverter, Map, MapAdapter

DEV_SERVER = "http://127.0.0.1:5000"
# The largest id a database column holds everywhere (PostgreSQL's integer).
LARGEST_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """The id a form field, JSON value or query string names; None when it names none.

    Raises ValueError for anything no row can have, so a damaged value is refused
    before the database sees it: only ASCII digits (``isdigit`` also accepts '²',
    which ``int`` refuses), in the id column's range. JSON may send the number
    itself, but true, 1.5 and 1e400 (read as infinity) are not ids.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and _id_digits(raw):
        number = int(raw)
    else:
        raise ValueError(f"not an id: {str(raw)[:20]!r}")
    if not 1 <= number <= LARGEST_ID:
        raise ValueError(f"not an id: {number}")
    return number


def _id_digits(text: str) -> bool:
    return len(text) <= len(str(LARGEST_ID)) and text.isascii() and text.isdigit()


class DatabaseId(IntegerConverter):
    """``<int:…>`` in routes: ids a database can hold, so a huge one is a 404.

    Werkzeug's own accepts any size, and 2**63 in an address made SQLite raise
    OverflowError (PostgreSQL: "integer out of range" from 2**31) inside a view.
    """

    def __init__(
        self,
        url_map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(url_map, fixed_digits, min, LARGEST_ID if max is None else max, signed)


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
    if any(key.startswith("_") for key in values):  # _anchor, _scheme…: Flask's own way
        with _request_context(app, base):
            return absolute_url(endpoint, **values)
    app.inject_url_defaults(endpoint, values)
    adapter = _adapter(app, base)
    if base:
        return base + adapter.build(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def _request_context(app: Flask, base: str | None):
    if base:
        return app.test_request_context("/")
    return app.test_request_context("/", base_url=DEV_SERVER)


def _adapter(app: Flask, base: str | None) -> MapAdapter:
    """The URL adapter Flask builds for a request to ``/`` (server name, application
    root and scheme as configured), made once per app and configuration.

    Building a URL outside a request used to push a test request context each time,
    a third of a millisecond: several per certificate in a bulk issue. Building
    from an adapter keeps no state, so one serves every thread.
    """
    config = app.config
    key = (
        bool(base),
        config.get("SERVER_NAME"),
        config.get("APPLICATION_ROOT"),
        config.get("PREFERRED_URL_SCHEME"),
    )
    adapters = app.extensions.setdefault("summit.url_adapters", {})
    if key not in adapters:
        adapters[key] = _request_context(app, base).url_adapter
    return adapters[key]

"""Printed documents (tickets, invoices, certificates): the only place that imports WeasyPrint.

Callers render a template from ``templates/documents/`` with :func:`render_pdf` and
get bytes back; nothing here touches the database or the request.
"""

from summit.documents.pdf import (
    DocumentError,
    LockedURLFetcher,
    RefusedURL,
    render_pdf,
    static_asset,
)
from summit.documents.tickets import render_ticket_pdf, ticket_filename

__all__ = [
    "DocumentError",
    "LockedURLFetcher",
    "RefusedURL",
    "render_pdf",
    "render_ticket_pdf",
    "static_asset",
    "ticket_filename",
]

"""The certificate PDF: one design, one stylesheet, printed by the shared documents module.

Everything printed comes from the certificate's stored ``details`` snapshot plus
its serial and code, so a re-print of the same row says the same thing. The
signature and logo reach WeasyPrint as ``data:`` URIs; the QR code is drawn by
``summit.qr`` as a PNG ``data:`` URI; nothing else is fetched.

An issued certificate is printed in two layers (:mod:`summit.documents.layers`):
what certificates of the event share (with the same hours, or at least the same
topics still to do) is laid out once per process, and only the person's values
are laid out for each one, which is most of the speed of a bulk issue. A preview,
and any value too long for its place, is printed whole.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from summit import storage
from summit.certificates import branding
from summit.curricula import minutes_policy
from summit.documents.layers import render_layered
from summit.documents.pdf import LaidOutDocument, lay_out, render_pdf
from summit.models import Certificate, Event
from summit.qr import qr_print_data_uri
from summit.urls import absolute_url
from summit.verification import grouped_verification_code

TEMPLATE = "documents/certificate.html"
LAYER_TEMPLATE = "documents/certificate_layer.html"
# Backdrops to try, most shared first: one per credit pattern (most people earn the
# same hours), then one per event with the hours printed per person.
LAYER_VARIANTS = ({"hours_in_backdrop": True}, {"hours_in_backdrop": False})
STYLESHEET = "documents/certificate.css"
PDF_VARIANT = "pdf/a-3b"
KIND_TITLES = {"completion": "Certificate of Completion", "attendance": "Certificate of Attendance"}
PREVIEW_CODE = "PREVIEW" * 4 + "PREV"


def hours(minutes: int) -> str:
    """Minutes as hours the way a transcript shows them: ``1``, ``1.5``, ``0.75``."""
    text = f"{minutes / 60:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def verification_url(code: str) -> str:
    return absolute_url("verify.certificate", code=code)


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, "Certificate")


@lru_cache(maxsize=32)
def _cached_data_uri(root: str, relative: str) -> str | None:
    # Branding paths carry a content hash, so a path always names the same bytes.
    return branding.data_uri(relative)


def branding_uris(event: Event) -> dict[str, str | None]:
    root = str(storage.storage_root())
    return {
        "signature_uri": _cached_data_uri(root, event.signature_path)
        if event.signature_path
        else None,
        "logo_uri": _cached_data_uri(root, event.logo_path) if event.logo_path else None,
    }


def _issue_date(issued_at: datetime | None, timezone: str) -> date:
    moment = issued_at or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def _render(event: Event, details: dict[str, Any], **printed: Any) -> bytes:
    context, options = _context(event, details, **printed)
    if printed["preview"]:  # the watermark crosses the whole page: print it whole
        return render_pdf(TEMPLATE, {**context, "layer": "full"}, **options)
    return render_layered(TEMPLATE, LAYER_TEMPLATE, context, variants=LAYER_VARIANTS, **options)


def lay_out_certificate(certificate: Certificate) -> LaidOutDocument:
    """An issued certificate laid out whole, not written: for checking its layout."""
    context, options = _context(certificate.event, certificate.details, **_printed(certificate))
    del options["pdf_variant"]
    return lay_out(TEMPLATE, {**context, "layer": "full"}, **options)


def _printed(certificate: Certificate) -> dict[str, Any]:
    return {
        "serial": certificate.serial,
        "code": certificate.verification_code,
        "issued_on": _issue_date(certificate.issued_at, certificate.event.timezone),
        "version": certificate.version,
        "preview": False,
    }


def _context(
    event: Event,
    details: dict[str, Any],
    *,
    serial: str,
    code: str,
    issued_on: date,
    version: int,
    preview: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the certificate template prints, and the PDF's metadata options."""
    config = current_app.config
    url = verification_url(code)
    topics = [_dated(topic) for topic in details["topics"]]
    covered = [topic for topic in topics if topic["complete"]]
    remaining = [topic for topic in topics if not topic["complete"]]
    required = {topic["required"] for topic in topics}
    context = {
        "details": details,
        "kind": details["kind"],
        "kind_title": kind_title(details["kind"]),
        "topics": topics,
        "covered": covered,
        "completed_count": len(covered),
        "remaining": remaining,
        "statute": details["statute"],
        "policy": minutes_policy(
            config["ORGANISATION_NAME"], required.pop() if len(required) == 1 else None
        ),
        "org_short": config["ORGANISATION_NAME"],
        "curriculum_note": _curriculum_note(details),
        "self_training": details.get("self_training", {}),
        "serial": serial,
        "version": version,
        "code": grouped_verification_code(code),
        "verify_url": url,
        "verify_url_short": url.split("://", 1)[-1],
        "qr_uri": qr_print_data_uri(url),
        "issued_on": issued_on,
        "hours": hours,
        "org_name": config["ORGANISATION_NAME"],
        "org_unit": config["ORGANISATION_UNIT"],
        "portal_url": absolute_url("portal.home"),
        "preview": preview,
        **branding_uris(event),
    }
    name, event_name = details["name"], details["event"]["name"]
    title = f"{kind_title(details['kind'])}: {name}, {event_name}"
    subject = f"{kind_title(details['kind'])} {serial} for {name} ({event_name}); verify at {url}"
    options = {
        "title": title,
        "subject": subject,
        "stylesheets": [STYLESHEET],
        "pdf_variant": PDF_VARIANT,
    }
    return context, options


def _dated(topic: dict[str, Any]) -> dict[str, Any]:
    """A subject row with its sessions' days as printed (``Jun 15, 2027, 8:30 AM``)."""
    sessions = [
        {
            **session,
            "day": _short_date(date.fromisoformat(session["date"])),
            "when": _short_date(date.fromisoformat(session["date"]))
            + (f", {session['time']}" if session.get("time") else ""),
        }
        for session in topic.get("sessions", ())
    ]
    return {**topic, "sessions": sessions}


def _short_date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _curriculum_note(details: dict[str, Any]) -> str:
    """Names an older list the event taught (ESD 105's 12 units) and what it leaves out."""
    curriculum, statute = details["curriculum"], details["statute"]
    if curriculum.get("code") and curriculum["name"] == statute["name"]:
        return ""
    untaught = [topic["letter"] for topic in details["topics"] if not topic.get("taught", True)]
    if not untaught:
        return f"This event taught {curriculum['name']}."
    letters = ", ".join(f"({letter})" for letter in untaught)
    return f"This event taught {curriculum['name']}, which does not cover subject {letters}."


def render_certificate_pdf(certificate: Certificate) -> bytes:
    """The PDF of an issued (or reserved) certificate row, PDF/A-3b."""
    return _render(certificate.event, certificate.details, **_printed(certificate))


def render_preview_pdf(event: Event, details: dict[str, Any]) -> bytes:
    """What a certificate would look like now, with a placeholder serial and code."""
    return _render(
        event,
        details,
        serial=f"{current_app.config['CERTIFICATE_SERIAL_PREFIX']}-{event.starts_on.year}-PREVIEW",
        code=PREVIEW_CODE,
        issued_on=_issue_date(None, event.timezone),
        version=0,
        preview=True,
    )

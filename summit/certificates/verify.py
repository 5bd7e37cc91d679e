"""Public verification: anyone with a certificate's code sees what it certifies.

Answers valid, revoked (with the date) or unknown, with the name, agency, event,
dates, topics, hours and serial from the certificate itself, and nothing else:
no email, no phone, no internal id, no revocation reason (it may be private).
Codes carry 160 random bits, and every answer is rate-limited per IP, so
guessing is hopeless; unknown codes answer 404.

People also type the serial (``S5-2027-000123``, ``S5-POC-2027-000007``), the most
prominent number on the paper. Serials count up, so a serial alone is guessable:
it answers only together with the name printed on the document, and a wrong name
gets the very answer an unknown serial gets.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from summit import verification
from summit.certificates.document import hours, kind_title
from summit.certificates.services import find_by_code, is_pending
from summit.clock import local_date
from summit.extensions import db, limiter
from summit.models import Certificate, CertificateStatus
from summit.security import no_store
from summit.verification import (
    grouped_verification_code,
    normalise_verification_code,
    same_name,
)

bp = Blueprint("verify", __name__, url_prefix="/verify")


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


verify_limit = limiter.shared_limit(_verify_limit, scope="verify")

# A typed serial: a prefix (``S5``, ``S5-POC``), a year and a number. Dashes may be
# spaces, the number may lack its leading zeros. A verification code never
# matches: its alphabet (A-Z, 2-7) has no 0, so it cannot hold a year 20xx.
_SERIAL = re.compile(
    r"(?P<prefix>[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*)-(?P<year>20\d\d)-(?P<number>\d{1,6})"
)
_SERIAL_NOISE = re.compile(r"[\s\-‐‑‒–—_]+")
NAME_NEEDED = "A serial number alone is not enough: type the name printed on the certificate too."


def typed_serial(raw: str | None) -> str | None:
    """The serial in its stored spelling when ``raw`` looks like one, else None."""
    text = _SERIAL_NOISE.sub("-", (raw or "")[:80].strip().upper()).strip("-")
    match = _SERIAL.fullmatch(text)
    if match is None:
        return None
    return f"{match['prefix']}-{match['year']}-{int(match['number']):06d}"


def answer_for_serial(serial: str, name: str) -> dict[str, Any]:
    """The answer for a serial and the name on the paper, of any kind; unknown unless both fit."""
    return verification.answer_for_serial(serial, name) or public_view(None)


def certificate_for_serial(serial: str, name: str) -> dict[str, Any] | None:
    """The certificate answer for a serial and the name on the paper, or None.

    A re-issued certificate keeps its serial: the name may match any version the
    holder has on paper, and the answer is the latest valid version (or, when all
    are revoked, the latest), so an old printout leads to the current facts.
    """
    versions = [
        certificate
        for certificate in db.session.scalars(
            select(Certificate)
            .where(Certificate.serial == serial)
            .order_by(Certificate.version.desc())
        )
        if not is_pending(certificate)
    ]
    if not any(same_name(c.details.get("name", ""), name) for c in versions):
        return None
    current = next((c for c in versions if c.is_valid), versions[0])
    return public_view(current)


def certificate_for_code(code: str) -> dict[str, Any] | None:
    found = find_by_code(code)
    return public_view(found) if found is not None else None


VERIFIER = verification.Verifier(
    kind="certificate", by_code=certificate_for_code, by_serial=certificate_for_serial
)
# Certificates first: the verify blueprint is registered before the training ones.
bp.record_once(lambda state: verification.register(state.app, VERIFIER))


def human_date(value: str | date | None) -> str:
    """``June 15, 2027`` from the ISO date of an answer (the JSON keeps ISO)."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return day.strftime("%B %-d, %Y")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"human_date": human_date}


@bp.after_request
def _fresh(response: Response) -> Response:
    """A revocation must show at once, and verification pages are not for search engines."""
    no_store(response)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def public_view(certificate: Certificate | None) -> dict[str, Any]:
    """What verification may say about a certificate: the certified facts only."""
    if certificate is None:
        return {"status": "unknown"}
    details = certificate.details
    event = details.get("event", {})
    return {
        "status": "valid" if certificate.is_valid else "revoked",
        "serial": certificate.serial,
        "version": certificate.version,
        "kind": certificate.kind,
        "title": kind_title(certificate.kind),
        "name": details.get("name", ""),
        "agency": details.get("agency", ""),
        "event": {
            "name": event.get("name", ""),
            "starts_on": event.get("starts_on"),
            "ends_on": event.get("ends_on"),
            "dates": event.get("dates", ""),
        },
        "statute_reference": details.get("curriculum", {}).get("statute_reference", ""),
        "curriculum": {
            "name": details.get("curriculum", {}).get("name", ""),
            "version": details.get("curriculum", {}).get("version", ""),
        },
        "statute": details.get("statute", {}),
        "topics": [
            {
                "position": topic["position"],
                "letter": topic.get("letter", ""),
                "title": topic["title"],
                "statute_reference": topic.get("statute_reference", ""),
                "statute_text": topic.get("statute_text", ""),
                "minutes": topic["minutes"],
                "hours": hours(topic["minutes"]),
                "complete": topic["complete"],
                "completed_on": topic.get("completed_on"),
                "sessions": topic.get("sessions", []),
            }
            for topic in details.get("topics", [])
        ],
        "total_minutes": details.get("total_minutes", 0),
        "total_hours": hours(details.get("total_minutes", 0)),
        "issued_on": local_date(certificate.issued_at).isoformat(),
        "revoked_on": local_date(certificate.revoked_at).isoformat()
        if certificate.revoked_at
        else None,
        "superseded": certificate.status == CertificateStatus.SUPERSEDED,
    }


@bp.get("")
@bp.get("/")
@verify_limit
def form():
    """Type a code or a serial (from paper) and see the answer; GET so the answer has its URL.

    A code redirects to its own page. A serial answers here, with the name, and
    never reveals the code: the page shows what the paper already says.
    """
    raw = request.args.get("code")
    name = (request.args.get("name") or "")[:200].strip()
    if raw is None:
        return _form_page()
    serial = typed_serial(raw)
    if serial is not None:
        if not name:
            return _form_page(raw, name=name, name_error=NAME_NEEDED), 400
        answer = answer_for_serial(serial, name)
        page = render_template(
            "verify/result.html", answer=answer, shown_serial=serial, shown_code="", json_url=None
        )
        return page, 404 if answer["status"] == "unknown" else 200
    code = normalise_verification_code(raw)
    if not code:
        error = "Type the verification code or the serial number printed on the certificate."
        return _form_page(raw, name=name, code_error=error), 400
    return redirect(url_for("verify.certificate", code=code), code=303)


def _form_page(typed: str = "", **context: Any) -> str:
    context.setdefault("name", "")
    context.setdefault("code_error", None)
    context.setdefault("name_error", None)
    return render_template("verify/form.html", typed=typed[:200], **context)


def answer_for(code: str) -> dict[str, Any]:
    """One verification page for every document the ESD signs: a certificate, or the
    training series documentation from the training record, found by its code."""
    return verification.answer_for_code(code) or public_view(None)


@bp.get("/<string:code>.json")
@verify_limit
def certificate_json(code: str):
    answer = answer_for(code)
    return jsonify(answer), 404 if answer["status"] == "unknown" else 200


@bp.get("/<string:code>")
@verify_limit
def certificate(code: str):
    serial = typed_serial(code)
    if serial is not None:  # a serial in the address: ask for the name on the paper
        return redirect(url_for("verify.form", code=serial), code=303)
    answer = answer_for(code)
    code = normalise_verification_code(code)
    page = render_template(
        "verify/result.html",
        answer=answer,
        shown_code=grouped_verification_code(code)[:80],
        shown_serial="",
        json_url=url_for("verify.certificate_json", code=code) if code else None,
    )
    return page, 404 if answer["status"] == "unknown" else 200

"""Public verification: anyone with a certificate's code sees what it certifies.

Answers valid, revoked (with the date) or unknown, with the name, agency, event,
dates, topics, hours and serial from the certificate itself, and nothing else:
no email, no phone, no internal id, no revocation reason (it may be private).
Codes carry 160 random bits, and every answer is rate-limited per IP, so
guessing is hopeless; unknown codes answer 404.
"""

from __future__ import annotations

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

from summit.certificates.document import hours, kind_title
from summit.certificates.services import (
    find_by_code,
    grouped_verification_code,
    normalise_verification_code,
)
from summit.clock import local_date
from summit.extensions import limiter
from summit.models import Certificate
from summit.training.proof import verify_documentation

bp = Blueprint("verify", __name__, url_prefix="/verify")

DEFAULT_VERIFY_RATE_LIMIT = "30 per minute"


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT") or DEFAULT_VERIFY_RATE_LIMIT


verify_limit = limiter.shared_limit(_verify_limit, scope="verify")


@bp.after_request
def _fresh(response: Response) -> Response:
    """A revocation must show at once, and verification pages are not for search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def public_view(certificate: Certificate | None) -> dict[str, Any]:
    """What verification may say about a certificate: the certified facts only."""
    if certificate is None:
        return {"status": "unknown"}
    details = certificate.details
    event = details.get("event", {})
    superseded = (certificate.revoked_reason or "").startswith("Superseded")
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
        "superseded": superseded and not certificate.is_valid,
    }


@bp.get("")
@bp.get("/")
@verify_limit
def form():
    """Type a code (from paper) and see the answer; GET so the answer has its own URL."""
    raw = request.args.get("code")
    if raw is None:
        return render_template("verify/form.html", error=None, typed="")
    code = normalise_verification_code(raw)
    if not code:
        return render_template("verify/form.html", error="Type the code printed on the "
                               "certificate.", typed=raw), 400  # fmt: skip
    return redirect(url_for("verify.certificate", code=code), code=303)


def answer_for(code: str) -> dict[str, Any]:
    """One verification page for every document the ESD signs: a certificate, or the
    training series documentation from the training record, found by its code."""
    found = find_by_code(code)
    if found is not None:
        return public_view(found)
    return verify_documentation(code) or public_view(None)


@bp.get("/<string:code>.json")
@verify_limit
def certificate_json(code: str):
    answer = answer_for(code)
    return jsonify(answer), 404 if answer["status"] == "unknown" else 200


@bp.get("/<string:code>")
@verify_limit
def certificate(code: str):
    answer = answer_for(code)
    code = normalise_verification_code(code)
    page = render_template(
        "verify/result.html",
        answer=answer,
        shown_code=grouped_verification_code(code)[:80],
        json_url=url_for("verify.certificate_json", code=code) if code else None,
    )
    return page, 404 if answer["status"] == "unknown" else 200

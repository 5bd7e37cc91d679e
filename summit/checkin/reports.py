"""Attendance and paper for the organisers: the matrix, rosters, sign-in sheets, badges.

The rows come from :mod:`summit.checkin.attendance`; these pages pick the format.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from summit.checkin.attendance import attendance as attendance_matrix
from summit.checkin.attendance import badge_registrations
from summit.checkin.attendance import roster as session_roster
from summit.checkin.blueprint import DOOR_ROLES, agenda_session, bp, event_page, pdf_response
from summit.checkin.services import live_counts
from summit.documents import render_pdf
from summit.documents.badges import render_badges_pdf
from summit.exports import csv_response
from summit.security import staff_required


@bp.get("/events/<slug>/attendance")
@staff_required(*DOOR_ROLES)
def attendance(slug: str):
    """People × topics: minutes credited against minutes required, with totals."""
    event = event_page(slug)
    matrix = attendance_matrix(event)
    if request.args.get("format") == "csv":
        return csv_response(matrix.rows(), f"{event.slug}-attendance.csv")
    return render_template(
        "checkin/attendance.html",
        event=event,
        registrations=matrix.registrations,
        credits=matrix.credits,
        topics=matrix.topics,
        complete_per_topic=matrix.complete_per_topic,
        fully_complete=matrix.fully_complete,
        counts=live_counts(event.id),
    )


@bp.get("/events/<slug>/sessions/<int:session_id>/roster.csv")
@staff_required(*DOOR_ROLES)
def roster_csv(slug: str, session_id: int):
    event = event_page(slug)
    agenda = agenda_session(event, session_id)
    rows = session_roster(event, agenda).rows()
    return csv_response(rows, f"{event.slug}-session-{agenda.id}-roster.csv")


@bp.get("/events/<slug>/sessions/<int:session_id>/roster.pdf")
@staff_required(*DOOR_ROLES)
def roster_pdf(slug: str, session_id: int):
    """A printable sign-in sheet: for a paper list when the network or the power is out."""
    event = event_page(slug)
    agenda = agenda_session(event, session_id)
    roster = session_roster(event, agenda)
    pdf = render_pdf(
        "documents/roster.html",
        {
            "event": event,
            "agenda": agenda,
            "registrations": roster.registrations,
            "present": roster.present,
            "org_name": current_app.config["ORGANISATION_NAME"],
            "org_unit": current_app.config["ORGANISATION_UNIT"],
        },
        title=f"Sign-in sheet: {agenda.title}",
        subject=f"Sign-in sheet for {agenda.title} at {event.name}",
    )
    return pdf_response(pdf, f"{event.slug}-session-{agenda.id}-sign-in.pdf")


@bp.get("/events/<slug>/badges.pdf")
@staff_required(*DOOR_ROLES)
def badges(slug: str):
    """Name badges with the ticket QR, six per letter sheet: everyone confirmed, or one person.

    ``?code=`` picks one person by ticket code (scoped to this event).
    """
    event = event_page(slug)
    registrations, filename = badge_registrations(event, request.args.get("code"))
    if not filename:
        abort(404)
    pdf = render_badges_pdf(event, registrations, current_app.config["ORGANISATION_NAME"])
    return pdf_response(pdf, filename)

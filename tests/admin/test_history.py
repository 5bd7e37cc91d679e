"""A registration's history reads as words: every action it can show has a title, and the
values name tiers, staff and scans, in dollars and the event's time, never JSON or ids."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from summit import audit
from summit.admin.history import ACTIONS, HISTORY_SUBJECTS, describe
from summit.admin.services import resend_state_email, update_registration_details
from summit.certificates.services import (
    issue_certificate,
    release_certificate,
    revoke_certificate,
    withhold_certificate,
)
from summit.checkin.services import annul_checkin, check_in
from summit.extensions import db
from summit.models import AuditLog
from summit.payments import services as payments
from summit.registration import services as registrations
from tests.helpers import attend, reload, text

PACKAGE = Path(__file__).resolve().parents[2] / "summit"
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")
RECORDERS = {"record", "record_event_change"}


def _recorder_name(call: ast.Call) -> str | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name if name in RECORDERS else None


def _strings(node: ast.AST) -> set[str]:
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and ACTION.match(n.value)
    }


def recorded_actions() -> set[str]:
    """Every action string an ``audit.record`` call in the package can write.

    A literal (or ``"a.b" if … else "a.c"``) is read as it stands; a variable is read
    as every action-shaped string in the function that calls, so a name passed along
    cannot hide an action.
    """
    actions: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "audit.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and _recorder_name(call) and call.args):
                    continue
                first = call.args[0]
                found = _strings(first) or (
                    _strings(function) if isinstance(first, ast.Name) else set()
                )
                assert found, f"{path.name}:{call.lineno}: cannot read the action it records"
                actions |= found
    return actions


def test_every_action_a_registration_history_can_show_has_a_title():
    actions = recorded_actions()
    assert {"registration.state", "payment.record", "checkin.annul", "registration.tier"} <= actions
    shown = {action for action in actions if action.split(".")[0] in HISTORY_SUBJECTS}
    untitled = sorted(shown - ACTIONS.keys())
    assert untitled == [], f"give these a title in summit/admin/history.py ACTIONS: {untitled}"


def test_every_action_the_audit_log_can_show_has_a_title():
    """The audit page and the control room list every kind of change, not only registrations'."""
    actions = recorded_actions()
    assert {"event.update", "staff.invite", "training.policy", "email_text.reset"} <= actions
    untitled = sorted(actions - ACTIONS.keys())
    assert untitled == [], f"give these a title in summit/admin/history.py ACTIONS: {untitled}"


def test_an_action_without_a_title_still_reads_as_words():
    described = describe(AuditLog(action="registration.something_new", actor="system"))
    assert described.title == "Registration: something new"
    assert described.actor == "Automatic (summit)"


@pytest.fixture
def full_history(make_event, make_person, make_registration, make_staff):
    """One registration through most of what can happen to it, each by its real service."""
    event = make_event(timezone="America/Los_Angeles")
    sro, security = event.tiers
    staff = make_staff("admin", email="kim@esd105.example")
    staff.name = "Kim Reyes"
    db.session.commit()
    person = make_person(first_name="Jordan", last_name="Lee", email="jl@yakimapd.example")
    registration = make_registration(
        event=event, person=person, tier=security, state="awaiting_payment"
    )
    audit.record(
        "registration.create",
        registration,
        after={"state": "awaiting_payment", "tier": "security"},
        actor="attendee",
    )
    db.session.commit()
    payments.request_invoice(registration, purchase_order="PO 77", pay_by_check=False, actor=staff)
    payments.record_payment(
        registration, amount_cents=2000, method="check", reference="CHK 5", actor=staff
    )
    payments.waive_fee(registration, reason="Presenter", actor=staff)
    resend_state_email(registration, actor=staff)
    update_registration_details(
        registration, {"first_name": "Jordon", "school_district": "Wapato"}, actor=staff
    )
    registrations.update_contact_details(
        reload(person), actor=f"attendee:{person.id}", agency="WSP"
    )
    registrations.move_to_tier(reload(registration), sro.id, actor=staff)
    registration = reload(registration)
    result = check_in(event.id, registration.ticket_code, staff=staff, source="desk")
    annul_checkin(event.id, result.checkin.id, staff=staff)
    attend(registration, staff=staff)
    certificate = issue_certificate(registration, actor=staff).certificate
    revoke_certificate(certificate, actor=staff, reason="Typo in the name")
    withhold_certificate(reload(registration), actor=staff, reason="Left early")
    release_certificate(reload(registration), actor=staff)
    return reload(registration)


def test_the_page_shows_the_whole_history_in_words(client, auth, full_history):
    auth.as_role("checkin")
    html = text(client.get(f"/staff/registrations/{full_history.id}"))
    history = html[html.index('id="history-heading"') :]
    for words in (
        "Registered",
        "<li>Tier: Security and other school safety staff</li>",
        "Invoice issued",
        "<li>Purchase order: PO 77</li>",
        "<li>Paid by: Check</li>",
        "<li>Amount: $20.00</li>",
        "<li>Paid by: Fee waived</li>",
        "Email sent again",
        "Contact details changed",
        "<li>First name: Jordan → Jordon</li>",
        "<li>Agency: Yakima Police Department → WSP</li>",
        "The attendee",
        "Registration details changed",
        "<li>School district: (none) → Wapato</li>",
        "Moved to another tier",
        "<li>Tier: Security and other school safety staff → SRO (commissioned law enforcement "
        "officer)</li>",
        "Check-in undone",
        "<li>Scan: Event entry, scanned ",
        "Certificate issued",
        "<li>Certificate: Completion</li>",
        "Certificate revoked",
        "<li>Reason: Typo in the name</li>",
        "<li>Serial number: S5-",
        "Certificate withheld",
        "<li>Withheld because: (none) → Left early</li>",
        "Certificate no longer withheld",
        "Kim Reyes (kim@esd105.example)",
    ):
        assert words in history, words
    assert "{" not in history and "&#34;" not in history  # no JSON
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", history)  # no ISO timestamps
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", history.split("</table>")[0])  # no keys or codes
    assert "staff:" not in history and "attendee:" not in history
    for action in ACTIONS:
        assert action not in history


def test_minutes_and_times_read_as_people_say_them():
    described = describe(
        AuditLog(
            action="certificate.issue",
            actor="system",
            after={"total_minutes": 810, "closed_at": "2027-06-15T15:05:00+00:00"},
        )
    )
    assert described.changes == ["Minutes credited: 13 h 30 min", "Closed at: Jun 15, 2027 8:05 AM"]

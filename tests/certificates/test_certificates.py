"""Certificates: eligibility, issue, re-issue, revoke, withhold, storage and the PDF."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from summit import storage
from summit.certificates.document import hours, verification_url
from summit.certificates.eligibility import certificate_for
from summit.certificates.errors import AlreadyRevoked, NotEligible, ReasonRequired
from summit.certificates.services import (
    certificate_pdf,
    content_hash,
    find_by_code,
    issue_certificate,
    preview_certificate_pdf,
    release_certificate,
    revoke_certificate,
    valid_certificate,
    withhold_certificate,
)
from summit.checkin.services import annul_checkin, check_in
from summit.documents import layers
from summit.extensions import db
from summit.models import (
    AuditLog,
    Certificate,
    CertificateStatus,
    OutboxMessage,
    TrainingResource,
    utcnow,
)
from summit.verification import new_verification_code, normalise_verification_code
from tests.helpers import (
    attend,
    decode_qr_codes,
    is_layered,
    link_targets,
    pdf_text,
    require_font_family,
    require_glyphs,
    scan,
    squash,
)

EVIL_NAME = "<img src=file:///etc/passwd>"


def printed(certificate, print_path: str) -> bytes:
    """The stored PDF, checked to have been printed the way the test asked."""
    pdf = certificate_pdf(certificate)
    assert is_layered(pdf) == (print_path == "layered")
    return pdf


@pytest.fixture(params=["whole", "layered"])
def print_path(request, monkeypatch):
    """Run a PDF test both ways a certificate is printed: whole (the first of its
    layout) and layered (over a backdrop shared with others of the same layout)."""
    whole_prints = 0 if request.param == "layered" else 10**9
    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", whole_prints)
    return request.param


@pytest.fixture
def attended(make_event, make_registration):
    """Build a registration that attended ``sessions`` sessions (all by default)."""

    def factory(sessions: int | None = None, event=None, **registration_fields):
        registration = make_registration(event=event or make_event(), **registration_fields)
        attend(registration, sessions)
        return registration

    return factory


# --- eligibility ----------------------------------------------------------------


def test_every_topic_done_earns_a_certificate_of_completion(attended):
    registration = attended()
    eligibility = certificate_for(registration)
    assert eligibility.kind == "completion"
    assert eligibility.remaining_topics == ()
    assert len(eligibility.completed_topics) == len(registration.event.curriculum.items)


def test_some_topics_done_earns_a_certificate_of_attendance(attended):
    registration = attended(sessions=3)
    eligibility = certificate_for(registration)
    topics = registration.event.curriculum.items
    assert eligibility.kind == "attendance"
    assert len(eligibility.completed_topics) == 3
    assert [t.topic_id for t in eligibility.remaining_topics] == [i.topic_id for i in topics[3:]]


def test_entry_without_sessions_is_attendance_with_nothing_completed(attended):
    registration = attended(sessions=0)
    eligibility = certificate_for(registration)
    assert eligibility.kind == "attendance"
    assert eligibility.completed_topics == ()


def test_a_short_stay_does_not_complete_a_topic(make_event, make_registration):
    """Required minutes are the event's: 90 required, 60 attended → attendance."""
    event = make_event(default_required_minutes=90)
    registration = make_registration(event=event)
    attend(registration)
    assert certificate_for(registration).kind == "attendance"


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("cancelled", "cancelled"),
        ("waitlisted", "not_confirmed"),
        ("offered", "not_confirmed"),
        ("awaiting_payment", "not_confirmed"),
        ("pending_approval", "not_confirmed"),
    ],
)
def test_registrations_that_never_held_a_confirmed_seat_get_none(attended, state, reason):
    registration = attended()
    registration.state = state
    db.session.commit()
    eligibility = certificate_for(registration)
    assert eligibility.kind is None
    assert eligibility.reason == reason


def test_never_checked_in_gets_none(make_registration):
    eligibility = certificate_for(make_registration())
    assert (eligibility.kind, eligibility.reason) == (None, "not_checked_in")


def test_an_annulled_check_in_does_not_count(make_registration):
    registration = make_registration()
    result = check_in(
        registration.event_id, registration.ticket_code, staff=None, source="desk", nonce="n-1"
    )
    annul_checkin(registration.event_id, result.checkin.id, staff=None)
    assert certificate_for(registration).reason == "not_checked_in"


def test_withheld_gets_none_until_released(attended, make_staff):
    registration = attended()
    admin = make_staff("admin")
    withhold_certificate(registration, actor=admin, reason="Left after an hour")
    assert certificate_for(registration).reason == "withheld"
    release_certificate(registration, actor=admin)
    assert certificate_for(registration).kind == "completion"


# --- issue, storage, re-issue ----------------------------------------------------


def test_issue_stores_a_certificate_row_and_file(attended, app):
    registration = attended()
    result = issue_certificate(registration, actor="system")
    certificate = result.certificate
    assert result.outcome == "issued"
    year = registration.event.starts_on.year
    assert certificate.serial == f"S5-{year}-000001"
    assert certificate.version == 1
    assert certificate.kind == "completion"
    assert len(certificate.verification_code) == 32  # 160 bits of base32
    assert certificate.content_hash == content_hash(certificate.details)
    assert (
        certificate.file_path
        == f"certificates/{registration.event.slug}/{certificate.serial}-v1.pdf"
    )
    stored = Path(app.config["STORAGE_DIR"]) / certificate.file_path
    assert stored.read_bytes().startswith(b"%PDF")
    assert certificate_pdf(certificate) == stored.read_bytes()
    assert not list(stored.parent.glob("*.part")), "no temporary file left behind"
    assert certificate.is_valid and certificate.issued_at is not None


def test_serials_count_up_per_event_year(make_event, attended):
    event = make_event()
    first = issue_certificate(attended(event=event)).certificate
    second = issue_certificate(attended(event=event)).certificate
    assert (first.serial_number, second.serial_number) == (1, 2)
    assert second.serial.endswith("-000002")


def test_unchanged_credit_is_not_reissued(attended):
    registration = attended()
    first = issue_certificate(registration).certificate
    again = issue_certificate(registration)
    assert again.outcome == "unchanged"
    assert again.certificate.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_changed_credit_reissues_with_the_same_serial(attended):
    registration = attended(sessions=2)
    first = issue_certificate(registration).certificate
    first_id, first_code, first_path = first.id, first.verification_code, first.file_path
    attend_rest = registration.event.sessions[2:]
    for session in attend_rest:
        scan(registration, session, source="desk")
    result = issue_certificate(registration)
    second = result.certificate
    assert result.outcome == "reissued"
    assert (second.serial, second.version, second.kind) == (first.serial, 2, "completion")
    assert second.verification_code != first_code
    old = db.session.get(Certificate, first_id)
    assert old.revoked_at is not None and old.revoked_reason.startswith("Superseded")
    assert storage.exists(first_path) and storage.exists(second.file_path)
    assert valid_certificate(registration).id == second.id
    assert find_by_code(first_code).is_valid is False


def test_each_version_says_where_it_stands(attended, make_staff):
    """Issued, then superseded by a re-issue; the new version revoked by staff."""
    registration = attended()
    first = issue_certificate(registration).certificate
    assert first.status is CertificateStatus.ISSUED and first.revoked_at is None
    second = issue_certificate(registration, force=True).certificate
    first = db.session.get(Certificate, first.id)
    assert (first.status, second.status) == (CertificateStatus.SUPERSEDED, CertificateStatus.ISSUED)
    admin = make_staff("admin")
    revoke_certificate(second, actor=admin, reason="Issued to the wrong person")
    assert second.status is CertificateStatus.REVOKED and not second.is_valid
    with pytest.raises(AlreadyRevoked):
        revoke_certificate(first, actor=admin, reason="superseded already")


def test_the_database_keeps_status_and_revocation_together(attended):
    """A revocation date on an issued version, or a second reservation, is refused."""
    registration = attended()
    certificate = issue_certificate(registration).certificate
    certificate.revoked_at = utcnow()
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    for version in (2, 3):
        db.session.add(
            Certificate(
                registration_id=registration.id,
                event_id=registration.event_id,
                serial_number=certificate.serial_number,
                serial=certificate.serial,
                version=version,
                kind="completion",
                verification_code=f"PENDING{version}",
                status=CertificateStatus.PENDING,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_force_reissues_even_when_unchanged(attended):
    registration = attended()
    first = issue_certificate(registration).certificate
    second = issue_certificate(registration, force=True).certificate
    assert (second.serial, second.version) == (first.serial, 2)


def test_ineligible_registration_is_refused(make_registration):
    with pytest.raises(NotEligible, match="never checked in"):
        issue_certificate(make_registration())


def test_admin_issues_by_hand_with_a_reason(make_registration, make_staff):
    registration = make_registration()  # the paper sign-in sheet was lost
    admin = make_staff("admin")
    certificate = issue_certificate(
        registration, actor=admin, manual_reason="Signed the paper list at the door"
    ).certificate
    assert certificate.kind == "attendance"
    assert certificate.issued_by_id == admin.id
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "certificate.issue"))
    assert entry.after["manual_reason"] == "Signed the paper list at the door"
    assert entry.staff_user_id == admin.id


def test_manual_issue_never_for_a_cancelled_registration(make_registration, make_staff):
    registration = make_registration(state="cancelled")
    with pytest.raises(NotEligible):
        issue_certificate(registration, actor=make_staff("admin"), manual_reason="please")


def test_issue_queues_the_certificate_ready_email_without_the_pdf(attended):
    registration = attended()
    certificate = issue_certificate(registration).certificate
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "certificate_ready")
    )
    assert message.recipient == registration.person.email
    assert "certificate" in message.subject.lower()
    assert verification_url(certificate.verification_code) in message.text_body
    assert message.attachments == []


def test_the_admin_may_attach_the_pdf(attended):
    registration = attended()
    issue_certificate(registration, attach_pdf=True)
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "certificate_ready")
    )
    assert [a["content_type"] for a in message.attachments] == ["application/pdf"]


def test_revoke_needs_a_reason_and_happens_once(attended, make_staff):
    certificate = issue_certificate(attended()).certificate
    admin = make_staff("admin")
    with pytest.raises(ReasonRequired):
        revoke_certificate(certificate, actor=admin, reason="  ")
    revoke_certificate(certificate, actor=admin, reason="Issued to the wrong person")
    assert certificate.revoked_at is not None
    with pytest.raises(AlreadyRevoked):
        revoke_certificate(certificate, actor=admin, reason="again")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "certificate.revoke"))
    assert entry.after == {"reason": "Issued to the wrong person"}


def test_withholding_revokes_the_valid_certificate(attended, make_staff):
    registration = attended()
    certificate = issue_certificate(registration).certificate
    withhold_certificate(registration, actor=make_staff("admin"), reason="Under review")
    db.session.refresh(certificate)
    assert certificate.revoked_at is not None
    assert registration.certificate_withheld_reason == "Under review"
    with pytest.raises(NotEligible, match="withheld"):
        issue_certificate(registration)


def test_a_crash_between_reserve_and_finish_is_finished_by_the_rerun(attended, monkeypatch):
    """The reserved row is invisible; the rerun reuses its serial and code, no duplicate."""
    from summit.certificates import services

    registration = attended()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed while printing")

    monkeypatch.setattr(storage, "write_atomic", crash)
    with pytest.raises(KeyboardInterrupt):
        issue_certificate(registration)
    db.session.rollback()
    pending = db.session.scalar(select(Certificate))
    assert pending.status == CertificateStatus.PENDING and pending.file_path == ""
    assert find_by_code(pending.verification_code) is None
    assert valid_certificate(registration) is None
    monkeypatch.undo()

    certificate = services.issue_certificate(registration).certificate
    assert (certificate.id, certificate.serial) == (pending.id, pending.serial)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert certificate.is_valid and storage.exists(certificate.file_path)


def test_atomic_write_leaves_the_old_file_when_interrupted(app, monkeypatch):
    storage.write_atomic("certificates/x/a.pdf", b"old")
    import os

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        storage.write_atomic("certificates/x/a.pdf", b"new")
    monkeypatch.undo()
    assert storage.read("certificates/x/a.pdf") == b"old"
    folder = storage.resolve("certificates/x")
    assert [p.name for p in folder.iterdir()] == ["a.pdf"]


@pytest.mark.parametrize("path", ["../secret", "/etc/passwd", "certificates/../../x", ""])
def test_storage_refuses_paths_outside_its_folder(app, path):
    with pytest.raises(storage.StorageError):
        storage.read(path)


def test_verification_codes_are_unguessable_and_typeable():
    codes = {new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 32 and code.isalnum() and code.isupper() for code in codes)
    code = next(iter(codes))
    spaced = " ".join(code[i : i + 4] for i in range(0, 32, 4)).lower()
    assert normalise_verification_code(spaced) == code
    assert normalise_verification_code("-".join(code[i : i + 4] for i in range(0, 32, 4))) == code


def test_find_by_code_is_case_and_dash_insensitive(attended):
    certificate = issue_certificate(attended()).certificate
    code = certificate.verification_code
    typed = "-".join(code[i : i + 4] for i in range(0, 32, 4)).lower()
    assert find_by_code(typed).id == certificate.id
    assert find_by_code("A" * 32) is None
    assert find_by_code("") is None


# --- the PDF ----------------------------------------------------------------------


def test_pdf_text_names_the_person_every_subject_hours_serial_and_url(attended, print_path):
    registration = attended()
    registration.person.first_name, registration.person.last_name = "Marie-Thérèse", "Nguyễn"
    registration.person.agency = "Yakima Police Department"
    db.session.commit()
    certificate = issue_certificate(registration).certificate
    pdf = printed(certificate, print_path)
    text = pdf_text(pdf)
    flat = squash(text)
    assert "Certificate of Completion" in text
    assert squash("Marie-Thérèse Nguyễn") in flat
    assert "Yakima Police Department" in text
    for item in registration.event.curriculum.items:  # the statute's words, each by letter
        assert squash(item.statute_text) in flat, item.statute_text
        assert item.statute_reference.removeprefix("RCW 28A.310.515(2)") in text
    assert squash(registration.event.curriculum.statute_reference) in flat
    count = len(registration.event.curriculum.items)
    assert "Total hours credited" in text and hours(60 * count) in text
    assert certificate.serial in text
    # The short form is printed (no scheme); the QR code and the metadata carry it whole.
    short_url = verification_url(certificate.verification_code).split("://", 1)[1]
    assert squash(short_url) in flat
    assert registration.event.name in text


def test_pdf_is_pdfa_3b_with_metadata_on_one_landscape_letter_page(attended, print_path):
    registration = attended()
    certificate = issue_certificate(registration).certificate
    pdf = printed(certificate, print_path)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)
    metadata = reader.metadata
    assert metadata.title.startswith("Certificate of Completion")
    assert registration.person.full_name in metadata.title
    assert certificate.serial in metadata.subject
    assert metadata.author == "ESD 105"
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert re.search(rb'pdfaid:part(="|>)3', xmp)
    assert re.search(rb'pdfaid:conformance(="|>)B', xmp)
    assert reader.pdf_header == "%PDF-1.7"
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_attendance_certificate_has_a_second_page_with_subjects_not_covered_and_links(
    attended, curricula, print_path
):
    registration = attended(sessions=2)
    remaining = registration.event.curriculum.items[2]
    module = "https://ospi.k12.wa.us/module"
    s5_page = "https://www.esd105.org/student-support/ssocc/s5"
    db.session.add(TrainingResource(topic_id=remaining.topic_id, title="OSPI module", url=module))
    db.session.add(TrainingResource(title="ESD 105 S5 page", url=s5_page))
    db.session.commit()
    certificate = issue_certificate(registration).certificate
    pdf = printed(certificate, print_path)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    first, second = (squash(page.extract_text()) for page in reader.pages)
    assert "CertificateofAttendance" in first
    count = len(registration.event.curriculum.items)
    assert squash(f"completed classroom training there on 2 of the {count} subjects") in first
    assert "Notcoveredbythiscertificate" in first
    assert "Subjectsnotcoveredbythiscertificate" in second
    assert squash(remaining.statute_text) in second
    assert module in second
    assert s5_page in second
    assert {module, s5_page} <= set(link_targets(pdf, 1))  # and they can be clicked
    done = registration.event.curriculum.items[0]
    assert squash(done.statute_text) not in second


def test_qr_code_decodes_to_the_verification_url(attended, print_path):
    certificate = issue_certificate(attended()).certificate
    codes = decode_qr_codes(printed(certificate, print_path))
    assert codes == [verification_url(certificate.verification_code)]


def test_a_name_that_looks_like_html_prints_as_text(attended, print_path, monkeypatch):
    if print_path == "layered":  # with DejaVu's wider letters the name outgrows its slot
        require_font_family("Noto Serif")
    registration = attended(person=None)
    registration.person.last_name = EVIL_NAME
    registration.person.agency = '"><script>alert(1)</script>'
    db.session.commit()
    asked = []
    from summit.documents.pdf import LockedURLFetcher

    fetch = LockedURLFetcher.fetch
    monkeypatch.setattr(
        LockedURLFetcher, "fetch", lambda self, url, *rest: asked.append(url) or fetch(self, url)
    )
    certificate = issue_certificate(registration).certificate
    text = pdf_text(printed(certificate, print_path))
    assert squash(EVIL_NAME) in squash(text)
    assert squash('"><script>alert(1)</script>') in squash(text)
    assert not [url for url in asked if "passwd" in url or url.startswith("file:")]


@pytest.mark.parametrize(
    "name",
    ["Nguyễn Thị Ánh", "李小龍", "محمد العلي", "דוד כהן", "Zoë Ødegård-Łukasz", "김민준"],
)
def test_unicode_names_print_with_real_glyphs(attended, print_path, name):
    """Every script comes out of the PDF as text, so no glyph fell back to a box."""
    require_glyphs(name)
    registration = attended()
    registration.person.first_name, registration.person.last_name = name, ""
    db.session.commit()
    certificate = issue_certificate(registration).certificate
    text = pdf_text(printed(certificate, print_path))
    extracted = squash(text)
    letters = squash(name)
    # pypdf returns right-to-left runs in visual order; either order means real glyphs.
    assert letters in extracted or letters[::-1] in extracted
    assert "\ufffd" not in text


def test_a_missing_signature_prints_a_signer_line_not_a_broken_pdf(attended, print_path):
    registration = attended()
    registration.event.certificate_signer_name = "Dr. Jane Example"
    registration.event.signature_path = "branding/gone/signature-0000.png"
    db.session.commit()
    certificate = issue_certificate(registration).certificate
    text = pdf_text(printed(certificate, print_path))
    assert "Dr. Jane Example" in text


def test_preview_renders_without_storing(attended):
    registration = attended()
    pdf = preview_certificate_pdf(registration)
    assert "PREVIEW" in pdf_text(pdf).upper()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_issue_date_is_printed_in_the_event_time_zone(attended, print_path):
    registration = attended()
    late_evening = utcnow().replace(hour=6, minute=30) + timedelta(days=1)  # 23:30 Pacific
    certificate = issue_certificate(registration, now=late_evening).certificate
    local = late_evening.astimezone(registration.event.tz).date()
    assert local.strftime("%B %-d, %Y") in pdf_text(printed(certificate, print_path))

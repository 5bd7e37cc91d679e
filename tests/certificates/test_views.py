"""Certificate pages: attendee downloads, staff desk, uploads, bulk issue, ZIP, CLI."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy
from pypdf import PdfReader
from sqlalchemy import func, select

from summit import storage
from summit.certificates import branding, bulk
from summit.certificates.services import issue_certificate, revoke_certificate
from summit.extensions import db
from summit.models import AuditLog, Certificate, CertificateBatch, OutboxMessage
from tests.helpers import attend, enter_portal, jpeg_bytes, pdf_text, png_bytes, post_branding

GOOD_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 30">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/></linearGradient></defs>'
    b'<path d="M5 25 C 20 0, 40 40, 95 5" stroke="url(#g)" fill="none"/></svg>'
)
# The reproductions of issue 14, item 11: each got past the old SVG filter.
FONT_FACE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>@font-face{font-family:x;'
    b'src:local("x")}text{font-family:x}</style><text y="20">Signed</text></svg>'
)
CSS_ESCAPE_SVGS = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:u\\72l(http://e.x/a)"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>@\\69mport "http://e.x/a.css";</style></svg>',
    b'<?xml version="1.0"?><?xml-stylesheet href="http://e.x/a.css"?>'
    b'<svg xmlns="http://www.w3.org/2000/svg"/>',
)
USE_FAN_OUT_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
    b'<rect id="a0" width="1" height="1"/>'
    + b"".join(
        f'<g id="a{n + 1}"><use x:href="#a{n}"/><use x:href="#a{n}"/><use x:href="#a{n}"/>'
        f'<use x:href="#a{n}"/></g>'.encode()
        for n in range(12)
    )
    + b"</svg>"
)


@pytest.fixture
def issued(make_event, make_registration):
    def factory(event=None, sessions=None, **fields):
        registration = make_registration(event=event or make_event(), **fields)
        attend(registration, sessions)
        return issue_certificate(registration).certificate

    return factory


# --- the attendee -----------------------------------------------------------------


def test_portal_lists_the_certificate_and_serves_the_stored_pdf(client, issued):
    certificate = issued()
    person = certificate.registration.person
    enter_portal(client, person)
    page = client.get("/my/").get_data(as_text=True)
    assert certificate.serial in page
    link = re.search(r'href="([^"]*/certificates/[^"]*)"', page).group(1)
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == storage.read(certificate.file_path)
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]


def test_downloads_are_served_from_storage_not_rerendered(client, issued, monkeypatch):
    certificate = issued()
    enter_portal(client, certificate.registration.person)
    from summit.certificates import document

    monkeypatch.setattr(document, "render_pdf", lambda *a, **k: pytest.fail("re-rendered"))
    assert client.get(f"/my/certificates/{certificate.id}.pdf").status_code == 200


def test_another_attendee_gets_404(client, issued, make_person):
    certificate = issued()
    enter_portal(client, make_person())
    assert client.get(f"/my/certificates/{certificate.id}.pdf").status_code == 404
    assert client.get("/my/certificates/999999.pdf").status_code == 404


def test_a_revoked_certificate_is_no_longer_offered(client, issued, make_staff):
    certificate = issued()
    revoke_certificate(certificate, actor=make_staff("admin"), reason="wrong person")
    enter_portal(client, certificate.registration.person)
    assert certificate.serial not in client.get("/my/").get_data(as_text=True)
    assert client.get(f"/my/certificates/{certificate.id}.pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, issued):
    certificate = issued()
    response = client.get(f"/my/certificates/{certificate.id}.pdf")
    assert response.status_code == 302 and "/my/sign-in" in response.headers["Location"]
    staff = client.get(f"/staff/certificates/{certificate.id}.pdf")
    assert staff.status_code == 302 and "/staff/sign-in" in staff.headers["Location"]


def test_the_email_links_to_the_portal_and_the_verification_page(app, issued):
    certificate = issued()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "certificate_ready")
    )
    assert "/my/enter/" in message.text_body
    assert f"/verify/{certificate.verification_code}" in message.html_body
    assert message.attachments == []


# --- staff ------------------------------------------------------------------------


def test_checkin_staff_may_neither_download_nor_manage(client, auth, issued):
    """Certificate pages are admin-only, and so are their PDFs (issue 14, item 16)."""
    certificate = issued()
    auth.as_role("checkin")
    assert client.get(f"/staff/certificates/{certificate.id}.pdf").status_code == 403
    slug = certificate.event.slug
    assert client.get(f"/staff/events/{slug}/certificates").status_code == 403
    assert (
        client.post(
            f"/staff/certificates/{certificate.id}/revoke", data={"revoke-reason": "x"}
        ).status_code
        == 403
    )


def test_admins_download_any_version(client, auth, issued):
    certificate = issued()
    auth.as_role("admin")
    response = client.get(f"/staff/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_event_page_warns_about_a_missing_signature(client, auth, make_event):
    event = make_event()
    auth.as_role("admin")
    page = client.get(f"/staff/events/{event.slug}/certificates").get_data(as_text=True)
    assert "No signature image is uploaded" in page
    home = client.get("/staff/").get_data(as_text=True)
    assert f"/staff/events/{event.slug}/certificates" in home


def test_issuing_without_a_signature_needs_the_admin_to_say_so(
    client, auth, make_event, make_registration
):
    registration = make_registration(event=make_event())
    attend(registration)
    auth.as_role("admin")
    url = f"/staff/registrations/{registration.id}/certificate/issue"
    response = client.post(url, data={"issue-notify": "y"}, follow_redirects=True)
    assert "No signature image is set" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    response = client.post(
        url, data={"issue-notify": "y", "issue-unsigned_ok": "y"}, follow_redirects=True
    )
    assert "issued" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_preview_is_a_pdf_marked_preview(client, auth, make_event, make_registration):
    registration = make_registration(event=make_event())
    attend(registration, 2)
    auth.as_role("admin")
    response = client.get(f"/staff/registrations/{registration.id}/certificate/preview.pdf")
    assert response.mimetype == "application/pdf"
    assert "PREVIEW" in pdf_text(response.data).upper()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_registration_page_and_manual_issue_with_reason(
    client, auth, make_event, make_registration
):
    registration = make_registration(event=make_event())  # never scanned in
    admin = auth.as_role("admin")
    page = client.get(f"/staff/registrations/{registration.id}/certificate")
    assert "The person never checked in." in page.get_data(as_text=True)
    client.post(
        f"/staff/registrations/{registration.id}/certificate/issue",
        data={"issue-manual_reason": "On the paper list", "issue-unsigned_ok": "y"},
    )
    certificate = db.session.scalar(select(Certificate))
    assert certificate.details["manual"] == "On the paper list"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "certificate.issue"))
    assert entry.staff_user_id == admin.id


def test_revoke_needs_a_reason(client, auth, issued):
    certificate = issued()
    auth.as_role("admin")
    url = f"/staff/certificates/{certificate.id}/revoke"
    client.post(url, data={"revoke-reason": ""})
    db.session.refresh(certificate)
    assert certificate.is_valid
    client.post(url, data={"revoke-reason": "Issued in error"})
    db.session.refresh(certificate)
    assert not certificate.is_valid and certificate.revoked_reason == "Issued in error"


def test_withhold_and_release_from_the_page(client, auth, issued):
    certificate = issued()
    registration = certificate.registration
    auth.as_role("admin")
    base = f"/staff/registrations/{registration.id}/certificate"
    client.post(f"{base}/withhold", data={"withhold-reason": "Complaint under review"})
    db.session.refresh(registration)
    db.session.refresh(certificate)
    assert registration.certificate_withheld_reason == "Complaint under review"
    assert not certificate.is_valid
    client.post(f"{base}/release")
    db.session.refresh(registration)
    assert registration.certificate_withheld_reason is None


# --- uploads ---------------------------------------------------------------------------


def upload(client, event, **files):
    data = {"branding-signer_name": "Dr. Jane Example", "branding-signer_title": "Director"}
    for kind, (content, name) in files.items():
        data[f"branding-{kind}"] = (io.BytesIO(content), name)
    return post_branding(client, event, data)


@pytest.mark.parametrize(("content", "name"), [(png_bytes(), "sig.png"), (jpeg_bytes(), "sig.jpg")])
def test_png_and_jpeg_are_accepted(client, auth, make_event, content, name):
    event = make_event()
    auth.as_role("admin")
    response = upload(client, event, signature=(content, name))
    assert "saved" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.signature_path.startswith(f"branding/{event.slug}/signature-")
    assert storage.read(event.signature_path) == content
    assert event.certificate_signer_name == "Dr. Jane Example"
    assert branding.is_signed(event)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"not really an image", "sig.png", "Only PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "sig.png", "damaged"),
        (b"GIF89a" + b"\0" * 20, "sig.gif", "Only PNG or JPEG"),
        (png_bytes() + b"\0" * (1024 * 1024), "big.png", "larger than 1 MB"),
        (png_bytes((4097, 2)), "wide.png", "at most 4096"),
        (jpeg_bytes()[:200], "cut.jpg", "damaged"),
        (GOOD_SVG, "sig.svg", "SVG images are not accepted"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "s.svg",
         "Save the image as PNG"),
        (FONT_FACE_SVG, "s.svg", "SVG images are not accepted"),
        *((svg, "s.svg", "SVG images are not accepted") for svg in CSS_ESCAPE_SVGS),
        (USE_FAN_OUT_SVG, "s.svg", "SVG images are not accepted"),
        (b"<!-- a comment first -->" + GOOD_SVG, "s.png", "SVG images are not accepted"),
        (b"<html><body>hi</body></html>", "s.svg", "Only PNG or JPEG"),
    ],
)  # fmt: skip
def test_bad_uploads_are_refused_with_a_reason(client, auth, make_event, content, name, message):
    event = make_event()
    auth.as_role("admin")
    response = upload(client, event, signature=(content, name))
    assert message in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.signature_path == ""


def test_the_uploaded_signature_and_logo_print_on_the_certificate(
    client, auth, make_event, make_registration
):
    event = make_event()
    auth.as_role("admin")
    upload(client, event, signature=(png_bytes(), "s.png"), logo=(jpeg_bytes(), "l.jpg"))
    registration = make_registration(event=event)
    attend(registration)
    certificate = issue_certificate(registration).certificate
    page = PdfReader(io.BytesIO(storage.read(certificate.file_path))).pages[0]
    assert len(page.images) == 3  # signature, logo and the QR code
    assert "Dr. Jane Example" in page.extract_text()


@pytest.mark.parametrize("svg", [GOOD_SVG, FONT_FACE_SVG, USE_FAN_OUT_SVG])
def test_an_svg_stored_before_is_no_longer_printed_and_the_desk_says_so(
    client, auth, make_event, make_registration, svg
):
    """SVGs uploaded before PNG/JPEG-only stay on disk but never reach WeasyPrint."""
    event = make_event(certificate_signer_name="Dr. Jane Example")
    for kind in branding.KINDS:
        relative = f"branding/{event.slug}/{kind}-old.svg"
        storage.write_atomic(relative, svg)
        setattr(event, f"{kind}_path", relative)
    db.session.commit()
    registration = make_registration(event=event)
    attend(registration)
    auth.as_role("admin")
    page = client.get(f"/staff/events/{event.slug}/certificates").get_data(as_text=True)
    assert "The signature is an SVG image, which certificates no longer print" in page
    assert "The logo is an SVG image" in page
    assert not branding.is_signed(event)
    assert client.get(f"/staff/events/{event.slug}/certificates/branding/logo").status_code == 404
    preview = client.get(f"/staff/registrations/{registration.id}/certificate/preview.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    certificate = issue_certificate(registration).certificate
    page = PdfReader(io.BytesIO(storage.read(certificate.file_path))).pages[0]
    assert len(page.images) == 1  # the QR code only: no signature, the seal is drawn


def test_uploads_are_admin_only(client, auth, make_event):
    event = make_event()
    auth.as_role("checkin")
    response = upload(client, event, signature=(png_bytes(), "s.png"))
    assert response.status_code == 403


# --- bulk, progress, ZIP -----------------------------------------------------------------


def test_bulk_issue_from_the_ui_with_progress_json(
    app, client, auth, make_event, make_registration
):
    event = make_event()
    for n in range(3):
        attend(make_registration(event=event), sessions=None if n else 2)
    make_registration(event=event)  # never came: no certificate
    slug = event.slug
    auth.as_role("admin")
    response = client.post(
        f"/staff/events/{slug}/certificates/issue-all",
        data={"bulk-notify": "y", "bulk-unsigned_ok": "y"},
    )
    assert response.status_code == 303
    batch = db.session.scalar(select(CertificateBatch))
    progress = client.get(f"/staff/events/{slug}/certificates/batches/{batch.id}.json")
    assert progress.get_json() | {"started_at": None, "finished_at": None} == {
        "id": batch.id,
        "status": "finished",
        "total": 3,
        "done": 3,
        "failed": 0,
        "percent": 100,
        "message": "",
        "started_at": None,
        "finished_at": None,
    }
    kinds = sorted(db.session.scalars(select(Certificate.kind)))
    assert kinds == ["attendance", "completion", "completion"]
    page = client.get(f"/staff/events/{slug}/certificates").get_data(as_text=True)
    assert 'id="batch-progress"' in page and "progress.js" in page
    assert client.get("/staff/certificates/progress.js").mimetype == "text/javascript"

    archive = client.get(f"/staff/events/{slug}/certificates.zip")
    assert archive.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert len(names) == 3 and all(name.endswith(".pdf") for name in names)


def test_a_chunk_reads_and_writes_per_table_not_per_certificate(
    app, make_event, make_registration, monkeypatch
):
    """Ten more certificates in a chunk cost no more reads or updates: no query per row.

    (Inserts are left out: SQLite's driver takes them a row at a time, a local call;
    PostgreSQL's are batched.)
    """
    monkeypatch.setattr(
        "summit.certificates.document.render_certificate_pdf",
        lambda certificate: b"%PDF-1.7 stand-in",
    )
    event = make_event()
    registrations = [make_registration(event=event) for _ in range(13)]
    for registration in registrations:
        attend(registration)
    ids = [registration.id for registration in registrations]
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    not_inserts = lambda: [s for s in statements if not s.lstrip().startswith("INSERT")]  # noqa: E731
    sqlalchemy.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        counts = []
        for chunk in (ids[:3], ids[3:13]):
            statements.clear()
            result = bulk.issue_chunk(event.id, chunk, None, True)
            assert (result.issued, result.failed) == (len(chunk), 0)
            counts.append(len(not_inserts()))
    finally:
        sqlalchemy.event.remove(db.engine, "before_cursor_execute", listen)
    assert counts[1] <= counts[0] + 2, (counts, not_inserts())
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 13


def test_bulk_issue_without_a_signature_needs_the_admin_to_say_so(
    app, client, auth, make_event, make_registration
):
    event = make_event()
    attend(make_registration(event=event))
    auth.as_role("admin")
    response = client.post(
        f"/staff/events/{event.slug}/certificates/issue-all",
        data={"bulk-notify": "y"},
        follow_redirects=True,
    )
    assert "No signature image is set" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CertificateBatch)) == 0


def test_bulk_rerun_after_a_crash_finishes_the_rest_without_duplicates(
    app, make_event, make_registration, monkeypatch
):
    event = make_event()
    registrations = [make_registration(event=event) for _ in range(5)]
    for registration in registrations:
        attend(registration)
    batch = bulk.create_batch(event)
    calls = {"n": 0}
    real_write = storage.write_atomic

    def dying_write(relative, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("kill -9 while writing")
        return real_write(relative, data)

    monkeypatch.setattr(bulk, "CHUNK_SIZE", 2)
    monkeypatch.setattr(storage, "write_atomic", dying_write)
    with pytest.raises(KeyboardInterrupt):
        bulk.run_batch(batch.id, workers=0, notify=False)
    monkeypatch.setattr(storage, "write_atomic", real_write)
    db.session.rollback()
    assert db.session.get(CertificateBatch, batch.id).status == "failed"
    assert bulk.plan(event) == [r.id for r in registrations[2:]]
    reserved = {c.serial for c in db.session.scalars(select(Certificate)) if not c.file_path}
    assert reserved, "the killed chunk left invisible reservations"

    second = bulk.create_batch(event)
    bulk.run_batch(second.id, workers=0, notify=False)
    serials = list(db.session.scalars(select(Certificate.serial).order_by(Certificate.serial)))
    assert len(serials) == len(set(serials)) == 5
    assert reserved <= set(serials)
    assert all(storage.exists(c.file_path) for c in db.session.scalars(select(Certificate)))
    assert bulk.plan(event) == []


def test_a_running_batch_blocks_a_second_one_until_it_goes_stale(app, make_event):
    from datetime import timedelta

    event = make_event()
    batch = bulk.create_batch(event)
    with pytest.raises(bulk.BatchBusy):
        bulk.create_batch(event)
    batch.heartbeat_at = batch.heartbeat_at - timedelta(minutes=3)
    db.session.commit()
    assert bulk.batch_progress(batch)["status"] == "stalled"
    assert bulk.create_batch(event).id != batch.id


def test_parallel_workers_issue_with_distinct_serials(app, make_event, make_registration):
    """Real worker processes against the same database: no serial is shared."""
    event = make_event()
    for _ in range(12):
        attend(make_registration(event=event), sessions=3)
    batch = bulk.create_batch(event)
    finished = bulk.run_batch(batch.id, workers=2, notify=False)
    assert (finished.status, finished.done, finished.failed) == ("finished", 12, 0)
    numbers = list(db.session.scalars(select(Certificate.serial_number)))
    assert sorted(numbers) == list(range(1, 13))


def test_cli_issues_with_a_progress_bar_and_reruns_cleanly(
    app, runner, make_event, make_registration
):
    event = make_event()
    for _ in range(3):
        attend(make_registration(event=event))
    refused = runner.invoke(args=["issue-certificates", event.slug, "--workers", "0"])
    assert refused.exit_code != 0 and "no signature image" in refused.output
    result = runner.invoke(
        args=["issue-certificates", event.slug, "--workers", "0", "--without-signature"]
    )
    assert result.exit_code == 0, result.output
    assert "3 done, 0 failed of 3" in result.output
    again = runner.invoke(
        args=["issue-certificates", event.slug, "--workers", "0", "--without-signature"]
    )
    assert "0 done, 0 failed of 0" in again.output
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3
    unknown = runner.invoke(args=["issue-certificates", "nope"])
    assert unknown.exit_code != 0 and "no event" in unknown.output

"""Certificates in real Chromium: the attendee downloads the PDF, its QR opens a valid
verification page; an admin issues all from the UI and watches the progress bar."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from summit.auth.links import portal_token
from summit.certificates.services import issue_certificate
from tests.conftest import STAFF_PASSWORD
from tests.helpers import attend, decode_qr_codes


def test_attendee_downloads_the_certificate_and_its_qr_verifies_it(
    app, live_server, page, make_registration
):
    app.config["PUBLIC_URL"] = live_server.url  # what the QR code will point at
    registration = make_registration()
    attend(registration)
    certificate = issue_certificate(registration).certificate
    serial = certificate.serial

    page.goto(f"{live_server.url}/my/enter/{portal_token(registration.person)}")
    expect(page.get_by_role("heading", name="Certificates")).to_be_visible()
    link = page.get_by_role("link", name="Download certificate (PDF)")
    expect(link).to_have_attribute("href", f"/my/certificates/{certificate.id}.pdf")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")
    head = page.request.get(f"{live_server.url}/my/certificates/{certificate.id}.pdf")
    assert head.headers["content-type"] == "application/pdf"

    [url] = decode_qr_codes(pdf)
    assert url.startswith(f"{live_server.url}/verify/")
    page.goto(url)
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    expect(page.get_by_text(serial)).to_be_visible()
    expect(page.get_by_text(registration.person.full_name)).to_be_visible()


def test_admin_issues_all_and_the_progress_survives_a_reload(
    app, live_server, page, make_event, make_registration, make_staff
):
    event = make_event()
    for _ in range(3):
        attend(make_registration(event=event))
    admin = make_staff("admin")
    page.goto(f"{live_server.url}/staff/sign-in")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/staff/events/{event.slug}/certificates")
    expect(page.get_by_text("No signature image is uploaded")).to_be_visible()
    page.get_by_label("Issue without a signature image").check()
    page.get_by_role("button", name="Issue all eligible certificates").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_be_visible()
    page.reload()  # the batch runs in its own process; the page finds it again
    expect(page.locator("#batch-progress")).to_have_attribute(
        "data-status", "finished", timeout=60_000
    )
    expect(page.locator("#batch-progress [data-field=done]")).to_have_text("3")
    expect(page.get_by_role("link", name="Download all valid certificates (ZIP)")).to_be_visible()
    expect(page.locator("table").get_by_role("link", name="S5-")).to_have_count(3)

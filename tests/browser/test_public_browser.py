"""The public side on a 390 px phone: the navigation, the training start, file inputs, and
the new pages checked by axe-core."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from summit.curricula import ensure_curricula
from summit.portal.tokens import portal_token, start_token
from tests.browser.test_accessibility import AXE, audit  # noqa: F401 (a fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_navigation_fits_a_phone_and_leads_to_each_public_page(live_server, phone_page):
    ensure_curricula()
    page = phone_page
    page.goto(live_server.url + "/")
    nav = page.get_by_role("navigation", name="Main")
    for name, heading in [
        ("Self-training", "Self-training on the required subjects"),
        ("Verify a certificate", "Verify an S5 Summit certificate"),
        ("Find my registration", "Get a link to your registration"),
    ]:
        link = nav.get_by_role("link", name=name)
        expect(link).to_be_visible()
        assert fits_the_phone(page), name
        link.click()
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()


def test_a_newcomer_starts_a_record_on_a_phone(live_server, phone_page):
    ensure_curricula()
    page = phone_page
    page.goto(f"{live_server.url}/training/start/{start_token('rosa@wapatopd.example')}")
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Last name").fill("Núñez")
    page.get_by_label("Agency or employer").fill("Wapato Police Department")
    page.get_by_label("Your role").select_option("sro")
    assert fits_the_phone(page)
    page.get_by_role("button", name="Start my training record").click()
    expect(page.get_by_role("heading", name="Log a training")).to_be_visible()
    expect(page.get_by_text("Your training record is started")).to_be_visible()


def test_the_chosen_evidence_file_is_named_in_full_on_a_phone(live_server, phone_page, make_person):
    ensure_curricula()
    page = phone_page
    page.goto(f"{live_server.url}/my/enter/{portal_token(make_person())}")
    page.goto(f"{live_server.url}/my/training/entries/new")
    chosen = page.locator("#evidence-chosen")
    expect(chosen).to_have_text("No file chosen.")
    name = "certificate-of-completion-de-escalation.pdf"
    page.get_by_label("Evidence (certificate or screenshot)").set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(chosen).to_have_text(f"Chosen: {name}")
    box = page.locator("#evidence").bounding_box()
    assert box["width"] >= 300
    assert fits_the_phone(page)


@pytest.mark.skipif(not Path(AXE).exists(), reason="axe-core is not installed (npm ci)")
def test_new_public_pages_have_no_serious_accessibility_problems(live_server, audit):  # noqa: F811
    ensure_curricula()
    for path in (
        "/training/start",
        f"/training/start/{start_token('rosa@wapatopd.example')}",
        "/verify?code=S5-2027-000001",  # asks for the name
        "/verify?code=S5-2027-000001&name=Nobody",  # not found
    ):
        assert audit(live_server.url + path) == [], path

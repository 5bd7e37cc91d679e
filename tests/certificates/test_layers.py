"""Layered certificates: a backdrop shared by a layout, a thin layer per person.

What a reader of the PDF would notice if layering went wrong: a value printed in
the wrong place, a missing line, a different font. So the layered print is
compared with the whole print of the same certificate, pixel by pixel, on every
page; and the policy (first of a layout whole, later ones layered, a value too
long for its place whole) is checked from the PDFs themselves.
"""

from __future__ import annotations

import io

import pytest
from PIL import ImageChops
from pypdf import PdfReader

from summit.certificates.services import certificate_pdf, issue_certificate
from summit.documents import layers
from summit.extensions import db
from summit.models import TrainingResource
from tests.helpers import (
    attend,
    is_layered,
    link_targets,
    page_image,
    pdf_text,
    squash,
)

OSPI = "https://ospi.k12.wa.us/module"
S5_PAGE = "https://www.esd105.org/student-support/ssocc/s5"


def outline(pdf: bytes) -> list:
    """The PDF's bookmarks as nested titles."""

    def titles(items):
        return [titles(item) if isinstance(item, list) else item.title for item in items]

    return titles(PdfReader(io.BytesIO(pdf)).outline)


def differing_pixels(first, second) -> int:
    """Pixels whose colour differs visibly (anti-aliasing noise is ignored)."""
    difference = ImageChops.difference(first, second).convert("L")
    return difference.point(lambda value: 255 if value > 40 else 0).histogram()[255]


def print_both_ways(certificate, monkeypatch, hours_in_backdrop: bool) -> tuple[bytes, bytes]:
    """The certificate printed whole, then layered over a fresh backdrop that holds
    the hours (shared by people with the same credit) or not (the event's)."""
    from summit.certificates import document

    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", 10**9)
    whole = document.render_certificate_pdf(certificate)
    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", 0)
    monkeypatch.setattr(document, "LAYER_VARIANTS", ({"hours_in_backdrop": hours_in_backdrop},))
    layered = document.render_certificate_pdf(certificate)
    return whole, layered


@pytest.mark.parametrize("hours_in_backdrop", [True, False], ids=["same-hours", "event"])
@pytest.mark.parametrize(
    ("sessions", "pages"), [(None, 1), (3, 2)], ids=["completion", "attendance"]
)
def test_a_layered_certificate_looks_exactly_like_a_whole_one(
    make_registration, monkeypatch, sessions, pages, hours_in_backdrop
):
    registration = make_registration()
    registration.person.first_name, registration.person.last_name = "Marie-Thérèse", "Nguyễn"
    registration.person.agency = "Yakima Police Department"
    topic = registration.event.curriculum.items[-1].topic_id
    db.session.add(TrainingResource(topic_id=topic, title="OSPI module", url=OSPI))
    db.session.add(TrainingResource(title="ESD 105 S5 page", url=S5_PAGE))
    db.session.commit()
    attend(registration, sessions)
    certificate = issue_certificate(registration).certificate
    whole, layered = print_both_ways(certificate, monkeypatch, hours_in_backdrop)
    assert not is_layered(whole) and is_layered(layered)
    for page in range(1, pages + 1):
        assert differing_pixels(page_image(whole, page), page_image(layered, page)) == 0, page
    # The same words (in another order: the backdrop's text comes first), the same
    # outline and the same clickable links.
    assert sorted(pdf_text(whole).split()) == sorted(pdf_text(layered).split())
    assert outline(layered) == outline(whole)
    for page in range(pages):
        assert link_targets(layered, page) == link_targets(whole, page)
    strict = PdfReader(io.BytesIO(layered), strict=True)  # every object well-formed
    assert [page.mediabox for page in strict.pages] == [
        page.mediabox for page in PdfReader(io.BytesIO(whole)).pages
    ]


def test_the_first_certificate_of_a_layout_is_whole_and_the_next_ones_layered(
    make_event, make_registration
):
    event = make_event()
    prints = []
    for _ in range(3):
        registration = make_registration(event=event)
        attend(registration)
        prints.append(certificate_pdf(issue_certificate(registration).certificate))
    assert [is_layered(pdf) for pdf in prints] == [False, True, True]


def test_other_hours_share_the_event_backdrop(make_event, make_registration):
    """Same hours: one backdrop that holds them. Other hours (here a longer session on
    the first topic): the event's backdrop, the hours printed per person."""
    import copy

    from summit.certificates.document import render_certificate_pdf
    from summit.documents.layers import _backdrops
    from summit.models import Certificate

    event = make_event()
    prints, issued = [], []
    for _ in range(3):
        registration = make_registration(event=event)
        attend(registration)
        issued.append(issue_certificate(registration).certificate)
        prints.append(certificate_pdf(issued[-1]))
    details = copy.deepcopy(issued[-1].details)
    details["topics"][0]["minutes"] += 30
    details["total_minutes"] += 30
    longer = Certificate(
        serial="S5-2027-999999", verification_code="B" * 32, version=1, details=details, event=event
    )
    prints.append(render_certificate_pdf(longer))
    assert [is_layered(pdf) for pdf in prints] == [False, True, True, True]
    assert len(_backdrops) == 2  # the common credit's, then the event's
    assert "1.5" in pdf_text(prints[3]).split()
    assert "1.5" not in pdf_text(prints[2]).split()


def test_a_name_too_long_for_its_line_is_printed_whole(make_registration, monkeypatch):
    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", 0)
    registration = make_registration()
    registration.person.first_name = "Maria Fernanda Guadalupe Josefina"
    registration.person.last_name = "de la Santísima Trinidad Hernández-Villaseñor"
    db.session.commit()
    attend(registration)
    pdf = certificate_pdf(issue_certificate(registration).certificate)
    assert not is_layered(pdf)
    assert squash(registration.person.full_name) in squash(pdf_text(pdf))


def test_a_changed_event_gets_a_new_backdrop(make_event, make_registration, monkeypatch):
    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", 0)
    event = make_event()
    first = make_registration(event=event)
    attend(first)
    issue_certificate(first)
    event.venue_name = "Central Washington State Fair Park"
    db.session.commit()
    second = make_registration(event=event)
    attend(second)
    pdf = certificate_pdf(issue_certificate(second).certificate)
    assert is_layered(pdf)
    assert "Central Washington State Fair Park" in pdf_text(pdf)


def test_a_list_of_links_running_onto_a_third_page_is_printed_whole(make_registration, monkeypatch):
    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", 0)
    registration = make_registration()
    for number in range(60):
        db.session.add(TrainingResource(title=f"Module {number}", url=f"{S5_PAGE}/{number}"))
    db.session.commit()
    attend(registration, 3)
    pdf = certificate_pdf(issue_certificate(registration).certificate)
    assert not is_layered(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    assert f"{S5_PAGE}/59" in link_targets(pdf, 2)


def test_the_longest_event_fields_print_the_same_layered(
    make_event, make_registration, monkeypatch
):
    event = make_event()  # every field as long as the database allows
    event.name = ("Summit on School Safety, Security and Student Support " * 4)[:200]
    event.venue_name = ("Yakima Valley Regional Convention and Training Center " * 4)[:200]
    event.venue_address = ("Building 4, Room 101, 10 North 8th Street, " * 8)[:300]
    db.session.commit()
    registration = make_registration(event=event)
    attend(registration)
    certificate = issue_certificate(registration).certificate
    whole, layered = print_both_ways(certificate, monkeypatch, hours_in_backdrop=False)
    assert is_layered(layered)
    assert len(PdfReader(io.BytesIO(layered)).pages) == 1
    assert differing_pixels(page_image(whole), page_image(layered)) == 0


def test_a_second_version_is_layered_and_says_so(make_registration, monkeypatch):
    monkeypatch.setattr(layers, "WHOLE_PRINTS_BEFORE_BACKDROP", 0)
    registration = make_registration()
    attend(registration)
    first = issue_certificate(registration).certificate
    second = issue_certificate(registration, force=True).certificate
    assert (second.serial, second.version) == (first.serial, 2)
    pdf = certificate_pdf(second)
    assert is_layered(pdf)
    assert f"{second.serial} v2" in " ".join(pdf_text(pdf).split())


# --- WeasyPrint internals behind one door -------------------------------------------


def test_this_weasyprint_has_what_layers_need():
    """The pinned WeasyPrint passes the start-up probe (else every test above is moot)."""
    assert layers.missing_internals() is None


def test_the_probe_notices_when_page_boxes_are_gone(monkeypatch):
    from weasyprint.document import Page

    laid_out = Page.__init__

    def renamed(self, *args, **kwargs):  # a release that renames the private attribute
        laid_out(self, *args, **kwargs)
        self._renamed_box = self.__dict__.pop("_page_box")

    monkeypatch.setattr(Page, "__init__", renamed)
    layers.missing_internals.cache_clear()
    try:
        assert "_page_box" in layers.missing_internals()
    finally:
        monkeypatch.undo()
        layers.missing_internals.cache_clear()


def test_without_the_internals_certificates_print_whole_with_one_warning(
    make_event, make_registration, monkeypatch, caplog
):
    monkeypatch.setattr(layers, "missing_internals", lambda: "page._page_box is missing")
    monkeypatch.setattr(layers, "_warned", False)
    event = make_event()
    prints = []
    with caplog.at_level("WARNING", logger="summit.documents"):
        for _ in range(3):
            registration = make_registration(event=event)
            attend(registration)
            certificate = issue_certificate(registration).certificate
            prints.append((certificate_pdf(certificate), registration.person.last_name))
    assert [is_layered(pdf) for pdf, _ in prints] == [False, False, False]
    assert all(squash(name) in squash(pdf_text(pdf)) for pdf, name in prints)
    (warning,) = [r for r in caplog.records if r.name == "summit.documents"]
    assert "printed whole" in warning.getMessage()

"""The shared PDF module: escaping, the locked-down URL fetcher, metadata, caching."""

from __future__ import annotations

import io
import os
import platform
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from pypdf import PdfReader

from summit.documents import DocumentError, LockedURLFetcher, RefusedURL, render_pdf
from summit.documents.pdf import base_stylesheet, font_config
from summit.documents.tickets import grouped_code, ticket_filename
from summit.qr import qr_png, qr_png_data_uri, qr_svg, qr_svg_data_uri
from tests.helpers import pdf_text

EVIL_IMG = '<img src="file:///etc/passwd">'


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything opens a socket to the outside."""

    def refuse(*args, **kwargs):
        raise AssertionError("a document tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def fetcher(app):
    return LockedURLFetcher(app.static_folder)


def ticket_context(**person) -> dict:
    """A ticket's context from plain objects: render_pdf never needs the database."""
    return {
        "event": SimpleNamespace(
            name="S5 Summit 2027",
            starts_on=date(2027, 6, 15),
            ends_on=date(2027, 6, 16),
            venue_name="Yakima Convention Center",
            venue_address="10 N 8th St, Yakima, WA",
        ),
        "person": SimpleNamespace(**{"full_name": "Alex Lee", "agency": "Yakima PD", **person}),
        "tier": SimpleNamespace(name="SRO"),
        "qr_uri": qr_svg_data_uri("A" * 32),
        "ticket_code": grouped_code("A" * 32),
        "org_name": "ESD 105",
        "org_unit": "SSOCC",
    }


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x.png",
        "//example.com/x.png",
        "summit-static:../../../../etc/passwd",
        "summit-static:/../summit/config.py",
        "summit-static:documents/does-not-exist.css",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_but_static_files_and_data(fetcher, no_network, url):
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_fetcher_serves_static_files_and_data_uris(fetcher):
    css = fetcher.fetch("summit-static:documents/base.css")
    assert b"@page" in css.read()
    assert css.content_type == "text/css"
    data = fetcher.fetch(qr_svg_data_uri("HELLO"))
    assert b"<svg" in data.read()


def test_typed_html_prints_as_text(app, no_network):
    pdf = render_pdf("documents/ticket.html", ticket_context(full_name=EVIL_IMG), title="t")
    assert EVIL_IMG in pdf_text(pdf)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.com/x.png"])
def test_a_template_that_asks_for_a_forbidden_url_fails(app, no_network, url):
    """Even markup a template author marked safe cannot make WeasyPrint fetch."""
    context = ticket_context(agency=Markup(f'<img src="{url}" alt="x">'))  # noqa: S704
    with pytest.raises(DocumentError):
        render_pdf("documents/ticket.html", context, title="t")


def test_metadata(app):
    pdf = render_pdf(
        "documents/ticket.html", ticket_context(), title="A ticket", subject="Admission"
    )
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata.title == "A ticket"
    assert metadata.subject == "Admission"
    assert metadata.author == app.config["ORGANISATION_NAME"]


def test_author_can_be_named(app):
    pdf = render_pdf("documents/ticket.html", ticket_context(), title="t", author="SSOCC")
    assert PdfReader(io.BytesIO(pdf)).metadata.author == "SSOCC"


def test_ticket_is_one_letter_page(app):
    pdf = render_pdf("documents/ticket.html", ticket_context(), title="t")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_stylesheet_and_fonts_are_built_once_per_process(app):
    folder = str(app.static_folder)
    assert base_stylesheet(folder) is base_stylesheet(folder)
    assert font_config() is font_config()


def test_qr_helpers():
    assert qr_svg("HELLO").startswith("<svg")
    assert "<title>Ticket &lt;1&gt;</title>" in qr_svg("HELLO", title="Ticket <1>")
    assert qr_svg_data_uri("HELLO").startswith("data:image/svg+xml")
    assert qr_png_data_uri("HELLO").startswith("data:image/png;base64,")
    assert qr_png("HELLO").startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        qr_svg("")


def test_ticket_helpers():
    assert grouped_code("ABCDEFGHJK") == "ABCD EFGH JK"
    registration = SimpleNamespace(
        event=SimpleNamespace(slug="s5-2027"), person=SimpleNamespace(last_name="O'Neil Díaz")
    )
    assert ticket_filename(registration) == "s5-2027-ticket-o-neil-d-az.pdf"


def test_static_assets_print_through_the_fetcher(app, no_network):
    context = ticket_context(agency=Markup('<img src="summit-static:img/favicon.svg" alt="">'))
    assert render_pdf("documents/ticket.html", context, title="t").startswith(b"%PDF")


def test_relative_urls_are_never_fetched(app, no_network, monkeypatch):
    """Documents have no base URL: WeasyPrint drops a relative path instead of reading it."""
    asked = []
    fetch = LockedURLFetcher.fetch
    monkeypatch.setattr(
        LockedURLFetcher, "fetch", lambda self, url, *rest: asked.append(url) or fetch(self, url)
    )
    context = ticket_context(agency=Markup('<img src="../summit/config.py" alt="">'))
    render_pdf("documents/ticket.html", context, title="t")
    assert asked, "the spy saw the ticket's own QR data URI"
    assert not [url for url in asked if "config.py" in url]


def test_a_thread_reuses_its_fetcher_and_threads_do_not_share_one(app):
    import threading

    from summit.documents.pdf import locked_fetcher

    first = locked_fetcher(app.static_folder)
    assert locked_fetcher(app.static_folder) is first
    other = []
    thread = threading.Thread(target=lambda: other.append(locked_fetcher(app.static_folder)))
    thread.start()
    thread.join()
    assert other[0] is not first
    with pytest.raises(RefusedURL):
        first.fetch("file:///etc/passwd")


FREED_BUFFER_PROBE = """
import sys
from summit.documents.pdf import return_large_buffers_promptly

def anonymous_mb():
    with open("/proc/self/smaps_rollup") as rollup:
        line = next(line for line in rollup if line.startswith("Anonymous:"))
    return int(line.split()[1]) / 1024

if sys.argv[1] == "fixed":
    assert return_large_buffers_promptly()
before, kept = anonymous_mb(), []
# WeasyPrint, PDF after PDF: a CJK font file copied (27 MB), then smaller ones (26 MB),
# each followed by a buffer that outlives it.
for size in (27, 26, 26):
    font = bytearray(size * 2**20)
    font[-1] = 1
    kept.append(bytearray(256 * 2**10))
    del font
print(anonymous_mb() - before)
"""


@pytest.mark.skipif(
    not os.path.exists("/proc/self/smaps_rollup") or platform.libc_ver()[0] != "glibc",
    reason="glibc on Linux only",
)
@pytest.mark.parametrize("mode", ["fixed", "default"])
def test_a_freed_font_copy_goes_back_to_the_system(mode):
    kept = float(
        subprocess.run(
            [sys.executable, "-c", FREED_BUFFER_PROBE, mode],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[2],
        ).stdout
    )
    if mode == "fixed":
        assert kept < 5
    else:  # glibc's own choice, the reason for the fix: the heap keeps the copy
        assert kept > 20


def test_building_the_app_leaves_the_process_allocator_alone(make_app, monkeypatch):
    """``mallopt`` is for the processes that print (wsgi.py, issue-certificates), not imports."""
    from summit.documents import pdf

    calls = []
    monkeypatch.setattr(pdf, "return_large_buffers_promptly", lambda: calls.append(1))
    make_app()
    assert calls == []


def test_the_bulk_issue_command_returns_big_buffers_before_it_forks(app, monkeypatch):
    from summit.certificates import cli

    calls = []
    monkeypatch.setattr(cli, "return_large_buffers_promptly", lambda: calls.append(1))
    result = app.test_cli_runner().invoke(args=["issue-certificates", "no-such-event"])
    assert "no event 'no-such-event'" in result.output
    assert calls == [1]

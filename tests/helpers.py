"""Helpers shared by the test modules of every feature: import them from here, never from
another test module, so one change reaches every test that uses it."""

from __future__ import annotations

import email
import functools
import html
import io
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select, update

from summit.auth.links import portal_token
from summit.checkin.services import check_in
from summit.clock import local_zone
from summit.documents import layers
from summit.extensions import db
from summit.mail import queue_person_email
from summit.models import (
    OutboxMessage,
    Person,
    Registration,
    SelfTrainingEntry,
    StaffUser,
    Topic,
    utcnow,
)
from summit.training.services import EntryData, add_entry, review_entry
from summit.transactions import write_transaction

# --- uploads ------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 64


def png_bytes(size=(120, 40)) -> bytes:
    """A real PNG picture (a signature or logo upload)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (18, 50, 91)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    """A real JPEG picture."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), (200, 200, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- check-ins and self-training --------------------------------------------------------


def attend(
    registration: Registration,
    sessions: int | None = None,
    *,
    topics: set[int] | None = None,
    staff: StaffUser | None = None,
) -> None:
    """Check ``registration`` into its event's first ``sessions`` sessions (all by default),
    or only into those teaching one of ``topics``. With no session to pick, the person
    is checked into the event at the desk."""
    event = registration.event
    chosen = event.sessions if sessions is None else event.sessions[:sessions]
    if topics is not None:
        chosen = [s for s in chosen if any(t.topic_id in topics for t in s.topics)]
    elif not chosen:
        assert check_in(event.id, registration.ticket_code, staff=staff, source="desk").ok
    for session in chosen:
        result = check_in(
            event.id, registration.ticket_code, staff=staff, source="desk", session_id=session.id
        )
        assert result.ok, result.status


def scan(
    registration: Registration,
    session=None,
    staff: StaffUser | None = None,
    *,
    source: str = "scanner",
    at: int | None = None,
    **kwargs,
):
    """Scan ``registration``'s ticket at the door, or into ``session`` when one is given.

    ``at`` is when, in minutes after the session starts: the scan is made and recorded then.
    """
    if at is not None:
        moment = session.starts_at + timedelta(minutes=at)
        kwargs |= {"now": moment, "scanned_at": moment}
    if session is not None:
        kwargs["session_id"] = session.id
    return check_in(
        registration.event_id, registration.ticket_code, staff=staff, source=source, **kwargs
    )


def log(
    person: Person,
    topic_id: int | None,
    minutes: int = 60,
    *,
    kind: str = "topic",
    completed_on: date | None = None,
    title: str = "OSPI module",
    url: str = "https://ospi.k12.wa.us/module",
    experienced_staff: str = "",
    school: str = "",
) -> SelfTrainingEntry:
    data = EntryData(
        kind=kind,
        topic_id=topic_id,
        completed_on=completed_on or date(2024, 3, 1),
        title=title,
        url=url,
        minutes=minutes,
        experienced_staff=experienced_staff,
        school=school,
    )
    return add_entry(person, data)


def accepted(
    person: Person, topic_id: int | None, staff: StaffUser, minutes: int = 60, **kwargs
) -> SelfTrainingEntry:
    entry = log(person, topic_id, minutes, **kwargs)
    return review_entry(entry, staff=staff, accept=True)


def on_the_job(
    person: Person,
    staff: StaffUser,
    day: date,
    *,
    trainer: str = "Officer Lena Ortiz",
    school: str = "Eisenhower High School",
) -> SelfTrainingEntry:
    """An accepted day of on-the-job training with an experienced staff member, at their school."""
    return accepted(
        person,
        None,
        staff,
        480,
        kind="on_the_job",
        completed_on=day,
        title="Day on campus",
        url="",
        experienced_staff=trainer,
        school=school,
    )


def check_in_training(
    person: Person, staff: StaffUser, day: date, *, trainer: str = "Sgt. Maria Chen"
) -> SelfTrainingEntry:
    """An accepted check-in training with an experienced staff member."""
    return accepted(
        person,
        None,
        staff,
        30,
        kind="check_in_training",
        completed_on=day,
        title="Check-in",
        url="",
        experienced_staff=trainer,
    )


def hold_on(session, day: date, hour: int = 9, minutes: int = 60) -> None:
    """Move an agenda session to ``day`` at ``hour`` (event-local time)."""
    start = datetime.combine(day, time(hour), tzinfo=local_zone())
    session.starts_at = start
    session.ends_at = start + timedelta(minutes=minutes)


def hold_event_on(event, first_day: date) -> None:
    """Hold the event's sessions on its own two days (not yesterday): the first half of
    the agenda on ``first_day``, the rest on the next day."""
    half = (len(event.sessions) + 1) // 2
    for index, session in enumerate(event.sessions):
        hold_on(session, first_day + timedelta(days=index // half), hour=8 + index % half)
    db.session.commit()


def topic(code: str) -> Topic:
    """The topic of the seeded curricula with this code."""
    return db.session.scalar(select(Topic).where(Topic.code == code))


# --- pages and the database -------------------------------------------------------------


def enter_portal(client, person: Person):
    """Open the person's portal link, confirming the switch when someone else is signed in."""
    link = f"/my/enter/{portal_token(person)}"
    response = client.get(link)
    if response.status_code == 200:  # "Switch to another person's registrations?"
        response = client.post(link)
    assert response.status_code == 302
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def words(response) -> str:
    """The page's text as a reader sees it: tags dropped, white space squashed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text(response))).split())


def now():
    return utcnow()


def reload(obj):
    """``obj``'s row as the database holds it now (requests end the session it came from)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def outbox(kind: str) -> list[OutboxMessage]:
    """The queued emails of one kind."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def add_send_link_route(app, person: Person) -> None:
    """A test-only route that queues ``person``'s portal link, as the portal's own does."""

    @app.post("/test-only/send-link")
    def send_link():
        with write_transaction():
            queue_person_email(db.session.get(type(person), person.id), "portal_link")
        return "queued"


def post_branding(client, event, data: dict):
    """Post the certificate branding form of ``event`` as a browser uploads files."""
    return client.post(
        f"/staff/events/{event.slug}/certificates/branding",
        data=data,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


# --- PDF files ---------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """The text of every page, in the order a PDF reader extracts it."""
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines where the layout does."""
    return "".join(text.split())


def single_spaced(text: str) -> str:
    """Text with every run of white space made one space."""
    return " ".join(text.split())


@contextmanager
def poppler(tool: str, pdf: bytes):
    """Poppler's ``tool`` and ``pdf`` written to a temporary folder (skips without poppler)."""
    program = shutil.which(tool)
    if program is None:
        pytest.skip(f"{tool} not installed: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(pdf)
        yield program, source


def page_image(pdf: bytes, page: int = 1, dpi: int = 100):
    """One PDF page as a Pillow image, drawn by poppler's ``pdftoppm``."""
    with poppler("pdftoppm", pdf) as (pdftoppm, source):
        pages = ["-f", str(page), "-l", str(page)]
        target = source.with_name("page")
        subprocess.run(
            [pdftoppm, "-r", str(dpi), *pages, "-png", "-singlefile", str(source), str(target)],
            check=True,
            capture_output=True,
        )
        with Image.open(target.with_suffix(".png")) as image:
            return image.convert("RGB")


def decode_qr_codes(pdf: bytes, page: int = 1, dpi: int = 200) -> list[str]:
    """Every QR code on one PDF page, read from poppler's picture of it."""
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(page_image(pdf, page, dpi))]


def is_layered(pdf: bytes) -> bool:
    """Whether the first page paints a shared backdrop (``summit.documents.layers``)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    names = page["/Resources"].get("/XObject", {}).keys()
    return any(name.startswith("/" + layers.BACKDROP_NAME) for name in names)


def link_targets(pdf: bytes, page: int) -> list[str]:
    """The web addresses a reader can click on one page (0-based)."""
    annotations = PdfReader(io.BytesIO(pdf)).pages[page].get("/Annots") or []
    return [annotation.get_object()["/A"]["/URI"] for annotation in annotations]


# --- an SMTP server to deliver to ---------------------------------------------------------


class Collector:
    """An SMTP handler that keeps every message and refuses ``nobody@`` mailboxes."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The collector plus its controller, on a port that refuses until ``start()``."""

    def __init__(self) -> None:
        self.collector = Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=free_port())
        self.running = False

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.collector.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.collector.envelopes

    def start(self) -> None:
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False


# --- what this machine has: fonts, mostly -------------------------------------------------
# A test that needs a font skips with the Debian package that brings it, so the README's
# test command passes on a machine with only Python and npm, and CI (which installs
# everything) still runs it.

FONT_PACKAGES = {
    "Noto Sans": "fonts-noto-core",
    "Noto Serif": "fonts-noto-core",
    "Noto Sans CJK SC": "fonts-noto-cjk",
}


@functools.cache
def _fc_list(pattern: str) -> str:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ""
    result = subprocess.run([fc_list, pattern, "family"], capture_output=True, text=True)
    return result.stdout


def has_font_family(family: str) -> bool:
    return any(family in line.split(",") for line in _fc_list(f":family={family}").splitlines())


def has_glyphs(text: str) -> bool:
    """Whether one installed font draws every letter of ``text`` (fontconfig's charset)."""
    letters = sorted({f"{ord(char):x}" for char in text if not char.isspace()})
    return bool(_fc_list(":charset=" + " ".join(letters)).strip())


def require_font_family(family: str) -> None:
    if not has_font_family(family):
        package = FONT_PACKAGES.get(family, "a package with it")
        pytest.skip(f"font {family!r} not installed: apt-get install {package}")


def require_glyphs(text: str, package: str = "fonts-noto-cjk") -> None:
    if not has_glyphs(text):
        pytest.skip(f"no installed font draws {text!r}: apt-get install {package}")


def sign_in_in_browser(page, base_url: str, email: str, password: str) -> None:
    """Sign a staff member in through the real form and wait for the staff home."""
    page.goto(base_url + "/staff/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/staff/")


# --- a busy database ------------------------------------------------------------------------


@contextmanager
def write_lock_held(table: str, seconds: float) -> Iterator[None]:
    """Another connection writes every row of ``table`` and keeps the lock for ``seconds``.

    On SQLite that holds the database's one write lock (``BEGIN IMMEDIATE``); on
    PostgreSQL it locks those rows. The block runs while the lock is held; the
    holder commits when its time is up, and the block's end waits for it.
    """
    engine = db.engine
    taken, failures = threading.Event(), []

    def hold() -> None:
        try:
            with engine.connect() as connection:
                if engine.dialect.name == "sqlite":
                    connection = connection.execution_options(sqlite_immediate=True)
                with connection.begin():
                    rows = db.metadata.tables[table]
                    connection.execute(update(rows).values(id=rows.c.id))
                    taken.set()
                    threading.Event().wait(seconds)
        except Exception as error:  # reported to the test below
            failures.append(error)
            taken.set()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(10)
    assert not failures, failures
    try:
        yield
    finally:
        holder.join()
    assert not failures, failures

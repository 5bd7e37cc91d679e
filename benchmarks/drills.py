"""Reliability drills (issue 14) against the running app: gunicorn, SQLite and PostgreSQL.

Each drill starts gunicorn (4 sync workers) on a throw-away instance and database
(SQLite in the instance folder; PostgreSQL ``test_reliab_drills``, made and dropped),
a real SMTP server (aiosmtpd) that counts what each address receives, and, when the
app has it, the task consumer ``flask --app summit worker``. It prints numbers and
a verdict; nothing here is a test.

- ``rush``: 1,000 registrations from 32 clients for a 300-seat tier: confirmed,
  waitlisted, 5xx, and emails received per address (exactly one each).
- ``scans``: 750 tickets scanned through the API by 8 scanners while registrations
  run (and a paginated ``GET …/registrations`` beside them): 0 5xx, 0 lost.
- ``hung-mail``: the same registrations and scans with a mail server that accepts
  connections and never answers, against a run with a working one: p95 latencies
  side by side, then every email delivered once when the server is back.
- ``outage`` (PostgreSQL): a TCP proxy between the app and the database is cut and
  restored mid-run: 503s, no partial rows, recovery without restarting anything.
- ``kill``: SIGKILL a gunicorn worker and the task consumer mid-run: nothing lost
  or doubled, no orphan processes once everything is stopped.

    .venv/bin/python benchmarks/drills.py {rush,scans,hung-mail,outage,kill,all}
        [--backend sqlite|postgres|both] [--scale 0.3]

``--scale`` multiplies every count (registrations, seats, tickets), so a 2-core
machine shared with others can run a short version (``--scale 0.2``: 200 people
for 60 seats). Throttles are off: they are the abuse drill's subject, not this one's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    ROOT,
    VENV_BIN,
    flask,
    free_port,
    gunicorn,
    percentile,
    scratch_postgres,
    server_env,
    temp_instance,
)

sys.path.insert(0, str(ROOT))
from tests.tcp_proxy import TcpProxy, close_socket

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DRILL_DATABASE = "test_reliab_drills"  # never the test suite's database: it is dropped after


# --- mail ------------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd server on a free port that counts the messages each address receives.

    "You're already registered" answers a second try (a client whose connection was
    cut after its registration was stored tries again, as a person would): it is a
    message of its own, counted apart, not the first one sent twice.
    """

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: Counter[str] = Counter()
        self.already: Counter[str] = Counter()
        self.port = free_port()
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        subject = BytesParser(policy=default_policy).parsebytes(envelope.content)["Subject"]
        counter = self.already if "already registered" in str(subject) else self.received
        with self._lock:
            for address in envelope.rcpt_tos:
                counter[address.lower()] += 1
        return "250 OK"

    def __enter__(self) -> Mailbox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


class HungSmtp:
    """Listens on ``port`` and accepts connections but never says a word, like a mail
    server that hangs; ``release()`` puts a proxy to the working ``mailbox`` there."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.port = free_port()
        self.mailbox = mailbox
        self._held: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._proxy: TcpProxy | None = None
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self) -> None:
        with suppress(OSError):
            while True:
                self._held.append(self._listener.accept()[0])

    def release(self) -> None:
        close_socket(self._listener)  # shutdown wakes the thread blocked in accept()
        for sock in self._held:
            close_socket(sock)
        self._proxy = TcpProxy("127.0.0.1", self.mailbox.port, port=self.port)
        self._proxy.start()

    def close(self) -> None:
        if self._proxy is not None:
            self._proxy.stop()
        else:
            self.release()
            self.close()


# --- the site ---------------------------------------------------------------------------------


@dataclass
class Site:
    """One running app: its database, environment, base URL, token and scanner tickets."""

    label: str
    database_url: str
    env: dict[str, str]
    slug: str = ""
    token: str = ""
    tickets: list[str] = field(default_factory=list)
    base: str = ""
    master: subprocess.Popen | None = None
    consumer: subprocess.Popen | None = None


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "postgres":
        with scratch_postgres(DRILL_DATABASE, f"{POSTGRES}/postgres") as url:
            yield url
    else:
        yield f"sqlite:///{temp_instance()}/drill.sqlite3"


def site_env(database_url: str, mail_port: int) -> dict[str, str]:
    """Production's mail behaviour, pointed at the drill's SMTP server."""
    return server_env(
        database_url,
        temp_instance(),
        SUMMIT_SECRET_KEY="drill",
        SUMMIT_PUBLIC_URL="http://127.0.0.1",
        SUMMIT_MAIL_SERVER="127.0.0.1",
        SUMMIT_MAIL_PORT=str(mail_port),
        SUMMIT_MAIL_DELIVER_AFTER_REQUEST="true",
        SUMMIT_MAIL_TIMEOUT="10",
        SUMMIT_MAIL_RETRY_BASE_SECONDS="5",  # retries within the drill's patience
    )


def prepare(site: Site, seats: int, tickets: int) -> None:
    """Migrate, seed the demo event with ``seats`` in the free tier, a scanner token and
    ``tickets`` confirmed tickets in the other tier (so they take none of those seats)."""
    flask(site.env, "init-db")
    flask(site.env, "seed-demo")
    run_flask(site.env, "create-staff", "drill@esd105.example", "--role", "checkin",
              "--password-stdin", stdin="yakima door scanner at dawn\n")  # fmt: skip
    created = run_flask(site.env, "create-api-token", "drill@esd105.example")
    site.token = next(
        line.strip() for line in created.splitlines() if line.strip().startswith("s5_")
    )
    site.slug, site.tickets = seed_tickets(site, seats, tickets)


def seed_tickets(site: Site, seats: int, count: int) -> tuple[str, list[str]]:
    os.environ.update({k: v for k, v in site.env.items() if k.startswith(("SUMMIT_", "DATABASE_"))})
    from summit import create_app
    from summit.extensions import db
    from summit.models import Event, Person, Registration
    from summit.registration.fields import new_ticket_code

    app = create_app({"SQLALCHEMY_DATABASE_URI": site.database_url})
    with app.app_context():
        event = db.session.query(Event).one()
        event.capacity = None
        free, paid = sorted(event.tiers, key=lambda tier: tier.price_cents)
        free.capacity = seats
        codes = [new_ticket_code() for _ in range(count)]
        for n, code in enumerate(codes):
            person = Person(email=f"ticket{n}@wsp.example", first_name="Ticket",
                            last_name=f"Holder{n}", agency="WSP")  # fmt: skip
            db.session.add(Registration(event=event, person=person, tier=paid,
                                        state="confirmed", ticket_code=code))  # fmt: skip
        db.session.commit()
        slug = event.slug
        db.engine.dispose()
    return slug, codes


def run_flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "summit", *args],
        env=env, cwd=ROOT, input=stdin, text=True, capture_output=True, check=True,
    )  # fmt: skip
    return done.stdout


def has_worker_command(env: dict[str, str]) -> bool:
    probe = subprocess.run([str(VENV_BIN / "flask"), "--app", "summit", "worker", "--help"],
                           env=env, cwd=ROOT, capture_output=True)  # fmt: skip
    return probe.returncode == 0


def start_consumer(site: Site) -> None:
    """The task consumer, in its own process group: ``flask --app summit worker``, or on
    a version of the app without one, the mail worker it had (``send-mail --loop``)."""
    command = ["worker"]
    if not has_worker_command(site.env):
        command = ["send-mail", "--loop", "2"]
        if not getattr(start_consumer, "noted", False):
            say(site.label, "note: no `flask --app summit worker` yet: the consumer is "
                "`send-mail --loop 2`, beside delivery after each response")  # fmt: skip
            start_consumer.noted = True  # type: ignore[attr-defined]
    site.consumer = subprocess.Popen(
        [str(VENV_BIN / "flask"), "--app", "summit", *command],
        env=site.env, cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_consumer(site: Site) -> None:
    if site.consumer is not None:
        with suppress(ProcessLookupError):
            os.killpg(site.consumer.pid, signal.SIGTERM)
        site.consumer.wait(timeout=30)
        site.consumer = None


@contextmanager
def running(backend: str, mail_port: int, seats: int, tickets: int, workers: int = 4,
            via: Callable[[str], Iterator[str]] | None = None) -> Iterator[Site]:  # fmt: skip
    """A prepared site served by gunicorn (optionally through ``via``, a URL wrapper)."""
    with database(backend) as url:
        site = Site(backend, url, site_env(url, mail_port))
        prepare(site, seats, tickets)
        with (via or _direct)(url) as served_url:
            site.env = {**site.env, "DATABASE_URL": served_url}
            start_consumer(site)
            try:
                log = (Path(site.env["SUMMIT_INSTANCE_PATH"]) / "gunicorn.log").open("w")
                with log, gunicorn(site.env, workers, stderr=log) as (base, master):
                    site.base, site.master = base, master
                    yield site
            finally:
                stop_consumer(site)


@contextmanager
def _direct(url: str) -> Iterator[str]:
    yield url


# --- clients ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Answers by HTTP status (or connection error) with latencies, shared by threads."""

    answers: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | str, ms: float, email: str | None = None) -> None:
        with self.lock:
            self.answers[status] += 1
            self.latencies.append(ms)
            if email and status == 303:
                self.registered.append(email)

    @property
    def server_errors(self) -> int:
        return sum(
            n for status, n in self.answers.items() if isinstance(status, int) and status >= 500
        )

    def p95(self) -> float:
        return percentile(self.latencies, 0.95) if self.latencies else 0.0


def _connection(base: str) -> http.client.HTTPConnection:
    host, port = base.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def register(base: str, slug: str, email: str, n: int, tally: Tally, patience: int = 1) -> None:
    """Open the form (for its CSRF token) and send it, as a person would: a dropped
    connection is tried once more from the form, a 503 up to ``patience`` times."""
    dropped = 0
    for _attempt in range(patience + 1):
        try:
            status = _register_once(base, slug, email, n, tally)
        except (OSError, http.client.HTTPException):
            tally.add("dropped", 0.0)
            dropped += 1
            if dropped > 1:
                return
            continue
        if status != 503:
            return
        time.sleep(0.5)  # Retry-After says 30 s; a drill has no half minute to spare


def _register_once(base: str, slug: str, email: str, n: int, tally: Tally) -> int:
    connection = _connection(base)
    try:
        path = f"/events/{slug}/register"
        connection.request("GET", path)
        response = connection.getresponse()
        page = response.read().decode()
        if response.status != 200:
            tally.add(response.status, 0.0)
            return response.status
        cookie = next(c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie")
                      if c.startswith("session="))  # fmt: skip
        body = urllib.parse.urlencode({
            "csrf_token": TOKEN.search(page).group(1), "tier": "sro", "first_name": "Drill",
            "last_name": f"Officer{n}", "email": email, "phone": "509-555-0105",
            "agency": "Washington State Patrol", "job_title": "Trooper",
            "school_district": "Yakima SD",
        })  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        tally.add(answer.status, (time.perf_counter() - started) * 1000, email)
        return answer.status
    finally:
        connection.close()


def rush(
    site: Site, people: int, clients: int, tally: Tally, prefix: str = "rush", patience: int = 1
) -> list[str]:
    """``people`` registrations from ``clients`` at once; their email addresses."""
    emails = [f"{prefix}{n}@wsp.example" for n in range(people)]

    def one(n: int) -> None:
        register(site.base, site.slug, emails[n], n, tally, patience)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(people)))
    return emails


def scan(site: Site, codes: list[str], tally: Tally) -> None:
    """One scanner: each code once, with a fresh nonce. A connection cut before the answer
    (a killed worker) is sent again with the same nonce, as scanner apps do: the server
    answers a replay with the first answer, so nothing is recorded twice. A 5xx is not
    retried: it is a lost scan."""
    path = f"/api/v1/events/{site.slug}/checkins"
    headers = {"Authorization": f"Bearer {site.token}", "Content-Type": "application/json"}
    for code in codes:
        body = json.dumps({"code": code, "nonce": uuid.uuid4().hex})
        for _attempt in range(2):
            if _send_scan(site, path, body, headers, tally):
                break


def _send_scan(site: Site, path: str, body: str, headers: dict, tally: Tally) -> bool:
    """Whether an answer came back (a dropped connection is tallied and tried again)."""
    connection = _connection(site.base)
    started = time.perf_counter()
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        tally.add(response.status, (time.perf_counter() - started) * 1000)
        return True
    except (OSError, http.client.HTTPException):
        tally.add("dropped", 0.0)
        return False
    finally:
        connection.close()


def browse_registrations(site: Site, tally: Tally, stop: threading.Event) -> None:
    """A scanner app refreshing its offline list, page by page, until ``stop``."""
    headers = {"Authorization": f"Bearer {site.token}"}
    while not stop.is_set():
        path = f"/api/v1/events/{site.slug}/registrations?limit=100"
        while path and not stop.is_set():
            connection = _connection(site.base)
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                data = response.read()
                tally.add(response.status, (time.perf_counter() - started) * 1000)
                path = json.loads(data).get("next") if response.status == 200 else None
            except (OSError, http.client.HTTPException, ValueError):
                tally.add("dropped", 0.0)
                path = None
            finally:
                connection.close()


def scanners(site: Site, count: int, tally: Tally) -> None:
    shares = [site.tickets[n::count] for n in range(count)]
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda codes: scan(site, codes, tally), shares))


# --- the database, afterwards -------------------------------------------------------------------


def query(site: Site, sql: str, **params) -> list[tuple]:
    from sqlalchemy import create_engine, text

    from summit.config import normalise_database_url

    engine = create_engine(normalise_database_url(site.database_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


STATES = """SELECT r.state, count(*) FROM registration r JOIN person p ON p.id = r.person_id
    WHERE p.email LIKE :like GROUP BY r.state"""
ENTRIES = """SELECT r.ticket_code, count(c.id) FROM registration r LEFT JOIN checkin c
    ON c.registration_id = r.id AND c.status = 'ok' AND c.session_id IS NULL
    GROUP BY r.ticket_code"""
UNSENT = """SELECT status, count(*) FROM outbox_message
    WHERE status IN ('pending', 'sending') GROUP BY status"""
REGISTERED = "SELECT p.email FROM person p JOIN registration r ON r.person_id = p.id"
PARTIAL = {
    "people without a registration": """SELECT count(*) FROM person p WHERE NOT EXISTS
        (SELECT 1 FROM registration r WHERE r.person_id = p.id)""",
    "registrations without an email": """SELECT count(*) FROM registration r
        JOIN person p ON p.id = r.person_id WHERE p.email NOT LIKE 'ticket%' AND NOT EXISTS
        (SELECT 1 FROM outbox_message m WHERE m.registration_id = r.id)""",
    "emails registered twice": """SELECT count(*) FROM (SELECT email FROM person
        GROUP BY email HAVING count(*) > 1) AS twice""",
}


def states(site: Site, prefix: str) -> Counter:
    return Counter(dict(query(site, STATES, like=f"{prefix}%")))


def lost_scans(site: Site) -> int:
    """Tickets without exactly one successful event-entry check-in."""
    rows = query(site, ENTRIES)
    wanted = set(site.tickets)
    return sum(1 for code, count in rows if code in wanted and count != 1)


LEASE_SECONDS = 10 * 60 + 30  # summit.mail.outbox.SENDING_LEASE, and a pass after it


def drain_mail(site: Site, timeout: float = 120) -> Counter:
    """Deliver what is due (``send-mail``) until the outbox is empty or ``timeout``;
    returns what is left by status. Rows stuck ``sending`` wait out their lease."""
    deadline = time.monotonic() + timeout
    while True:
        left = Counter(dict(query(site, UNSENT)))
        if not left or time.monotonic() > deadline:
            return left
        if site.consumer is None:
            with suppress(subprocess.CalledProcessError):
                run_flask(site.env, "send-mail")
        time.sleep(1)


def mail_report(mailbox: Mailbox, emails: list[str]) -> str:
    counts = Counter(mailbox.received.get(email, 0) for email in emails)
    twice = sum(n for times, n in counts.items() if times > 1)
    again = sum(mailbox.already.values())
    return (f"emails per address: {dict(sorted(counts.items()))} (times: addresses); "
            f"{counts.get(0, 0)} got none, {twice} got more than one; "
            f"{again} 'already registered' answers to a second try")  # fmt: skip


def say(backend: str, line: str) -> None:
    print(f"{backend:9s} {line}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- the drills ---------------------------------------------------------------------------------


def drill_rush(backend: str, scale: float) -> bool:
    people, seats = round(1000 * scale), round(300 * scale)
    with Mailbox() as mailbox, running(backend, mailbox.port, seats, 0) as site:
        tally = Tally()
        started = time.perf_counter()
        emails = rush(site, people, 32, tally)
        wall = time.perf_counter() - started
        left = drain_mail(site)
        stored = states(site, "rush")
    say(backend, f"rush: {people} people, 32 clients, {seats} seats, {wall:.1f} s; "
          f"answers {dict(tally.answers)}; p95 {tally.p95():.0f} ms")  # fmt: skip
    say(backend, f"  stored {dict(stored)}; outbox left {dict(left)}")
    say(backend, f"  {mail_report(mailbox, emails)}")
    exact = all(mailbox.received.get(email, 0) == 1 for email in emails)
    ok = (tally.server_errors == 0 and stored.get("confirmed") == seats
          and stored.get("waitlisted") == people - seats and exact)  # fmt: skip
    say(backend, f"  {verdict(ok)}")
    return ok


def scans_during_rush(
    site: Site, people: int, prefix: str
) -> tuple[Tally, Tally, Tally, list[str]]:
    """Registrations, 8 scanners and a paginating reader at once; their tallies."""
    registrations, scanned, listed = Tally(), Tally(), Tally()
    stop = threading.Event()
    reader = threading.Thread(target=browse_registrations, args=(site, listed, stop))
    reader.start()
    with ThreadPoolExecutor(2) as pool:
        emails = pool.submit(rush, site, people, 16, registrations, prefix)
        pool.submit(scanners, site, 8, scanned).result()
        emails = emails.result()
    stop.set()
    reader.join()
    return registrations, scanned, listed, emails


def drill_scans(backend: str, scale: float) -> bool:
    people, tickets = round(1000 * scale), round(750 * scale)
    with Mailbox() as mailbox, running(backend, mailbox.port, round(300 * scale), tickets) as site:
        registrations, scanned, listed, _emails = scans_during_rush(site, people, "scan")
        lost = lost_scans(site)
    say(backend, f"scans: {tickets} tickets, 8 scanners, beside {people} registrations")
    say(backend, f"  scans {dict(scanned.answers)} p95 {scanned.p95():.0f} ms; lost {lost}")
    say(backend, f"  GET registrations pages {dict(listed.answers)} p95 {listed.p95():.0f} ms")
    say(backend, f"  registrations {dict(registrations.answers)} p95 {registrations.p95():.0f} ms")
    ok = not (scanned.server_errors or listed.server_errors or registrations.server_errors or lost)
    say(backend, f"  {verdict(ok)}")
    return ok


def drill_hung_mail(backend: str, scale: float) -> bool:
    people, tickets = round(200 * scale), round(300 * scale)
    seats = people  # everyone confirmed: one confirmation each
    with Mailbox() as mailbox:
        with running(backend, mailbox.port, seats, tickets) as site:
            base_reg, base_scan, _listed, _ = scans_during_rush(site, people, "calm")
        hung = HungSmtp(mailbox)
        try:
            with running(backend, hung.port, seats, tickets) as site:
                hung_reg, hung_scan, _listed, emails = scans_during_rush(site, people, "hung")
                hung.release()
                left = drain_mail(site, timeout=max(120, people * 2))
        finally:
            hung.close()
    say(backend, f"hung mail: {people} registrations and {tickets} scans, mail server up / hung")
    for label, up, down in (("registration", base_reg, hung_reg), ("scan", base_scan, hung_scan)):
        ratio = down.p95() / up.p95() if up.p95() else 0
        say(backend, f"  {label:12s} p95 {up.p95():7.0f} ms up, {down.p95():7.0f} ms hung"
              f" ({ratio:.2f}x); 5xx {up.server_errors} / {down.server_errors}")  # fmt: skip
    say(backend, f"  after the server came back: outbox left {dict(left)}; "
          f"{mail_report(mailbox, emails)}")  # fmt: skip
    within = hung_reg.p95() <= 1.2 * base_reg.p95() and hung_scan.p95() <= 1.2 * base_scan.p95()
    once = all(mailbox.received.get(email, 0) == 1 for email in emails)
    ok = within and once and not (hung_reg.server_errors or hung_scan.server_errors)
    say(backend, f"  {verdict(ok)}")
    return ok


@contextmanager
def proxied(holder: list[TcpProxy]) -> Callable[[str], Iterator[str]]:
    """A URL wrapper for :func:`running`: the app reaches PostgreSQL through a TcpProxy."""

    @contextmanager
    def wrap(url: str) -> Iterator[str]:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
            holder.append(proxy)
            yield parsed.set(port=proxy.port).render_as_string(hide_password=False)

    yield wrap


def outage_timeline(
    site: Site, proxy: TcpProxy, people: int, down_seconds: float
) -> tuple[Tally, dict]:
    """Register ``people`` from 8 clients; cut the database a third of the way in."""
    tally, moments = Tally(), {}

    def cut() -> None:
        while sum(tally.answers.values()) < people // 3:
            time.sleep(0.05)
        proxy.stop()
        moments["cut"] = time.monotonic()
        time.sleep(down_seconds)
        moments["health_down"] = health(site)
        proxy.start()
        moments["restored"] = time.monotonic()
        while health(site) != 200:
            time.sleep(0.1)
        moments["healthy"] = time.monotonic()

    cutter = threading.Thread(target=cut)
    cutter.start()
    rush(site, people, 8, tally, "outage", patience=40)
    cutter.join()
    return tally, moments


def health(site: Site) -> int:
    connection = _connection(site.base)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def partial_rows(site: Site) -> dict[str, int]:
    """Rows a half-done registration would leave: people without registrations,
    registrations without their email, and duplicates of one person."""
    return {label: query(site, sql)[0][0] for label, sql in PARTIAL.items()}


def drill_outage(backend: str, scale: float) -> bool:
    if backend != "postgres":
        say(backend, "outage: SQLite has no server to lose; tests/core/test_outage.py "
              "covers an unreadable database file")  # fmt: skip
        return True
    people = max(60, round(400 * scale))
    holder: list[TcpProxy] = []
    with (
        Mailbox() as mailbox,
        proxied(holder) as via,
        running(backend, mailbox.port, people, 0, via=via) as site,
    ):
        tally, moments = outage_timeline(site, holder[0], people, down_seconds=3.0)
        stored = {row[0] for row in query(site, REGISTERED)}
        partial = partial_rows(site)
    recovery = moments["healthy"] - moments["restored"]
    answered = set(tally.registered)
    say(backend, f"outage: {people} registrations, 8 clients, database cut for 3 s")
    say(backend, f"  answers {dict(tally.answers)}; /healthz while cut: {moments['health_down']}; "
          f"healthy {recovery:.2f} s after the database came back (no restart)")  # fmt: skip
    say(backend, f"  303 answered but not stored: {len(answered - stored)}; partial rows {partial}")
    ok = (
        500 not in tally.answers
        and tally.answers.get(503, 0) > 0
        and moments["health_down"] == 503
        and not answered - stored
        and not any(partial.values())
    )
    say(backend, f"  {verdict(ok)}")
    return ok


def gunicorn_workers(master: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


def processes_of(instance: str) -> list[int]:
    """Processes still running with this drill's instance folder in their environment."""
    mine, marker = [], f"SUMMIT_INSTANCE_PATH={instance}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    mine.append(int(entry.name))
    return mine


def killer(site: Site, tally: Tally, people: int, notes: list[str]) -> None:
    """Halfway through, SIGKILL one gunicorn worker and the consumer; a supervisor
    (here: this drill) starts the consumer again."""
    while sum(tally.answers.values()) < people // 2:
        time.sleep(0.05)
    victim = gunicorn_workers(site.master)[0]
    os.kill(victim, signal.SIGKILL)
    notes.append(f"killed gunicorn worker {victim}")
    if site.consumer is not None:
        os.kill(site.consumer.pid, signal.SIGKILL)
        site.consumer.wait()
        notes.append(f"killed consumer {site.consumer.pid}")
        start_consumer(site)


def drill_kill(backend: str, scale: float) -> bool:
    people, tickets = round(400 * scale), round(300 * scale)
    notes: list[str] = []
    with Mailbox() as mailbox:
        with running(backend, mailbox.port, people, tickets) as site:
            instance = site.env["SUMMIT_INSTANCE_PATH"]
            registrations, scanned = Tally(), Tally()
            cut = threading.Thread(target=killer, args=(site, registrations, people, notes))
            cut.start()
            with ThreadPoolExecutor(2) as pool:
                emails = pool.submit(rush, site, people, 16, registrations, "kill")
                pool.submit(scanners, site, 8, scanned).result()
                emails = emails.result()
            cut.join()
            # A message the killed consumer had claimed is held for its lease, then sent.
            left = drain_mail(site, timeout=max(120, people) + LEASE_SECONDS)
            lost = lost_scans(site)
            stored = {row[0] for row in query(site, REGISTERED)}
            partial = partial_rows(site)
        time.sleep(1)
        orphans = processes_of(instance)
    answered = set(registrations.registered)
    say(backend, f"kill: {people} registrations and {tickets} scans; {'; '.join(notes)}")
    say(backend, f"  registrations {dict(registrations.answers)}; scans {dict(scanned.answers)}")
    say(backend, f"  303 not stored {len(answered - stored)}; lost scans {lost}; partial {partial}")
    say(backend, f"  outbox left {dict(left)}; {mail_report(mailbox, emails)}")
    say(backend, f"  processes left after stopping: {orphans or 'none'}")
    once = all(mailbox.received.get(email, 0) == 1 for email in stored & set(emails))
    ok = not (answered - stored or lost or any(partial.values()) or orphans) and once
    say(backend, f"  {verdict(ok)}")
    return ok


DRILLS = {"rush": drill_rush, "scans": drill_scans, "hung-mail": drill_hung_mail,
          "outage": drill_outage, "kill": drill_kill}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drill", choices=[*DRILLS, "all"])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every count (0.2: a short run)"
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    names = list(DRILLS) if args.drill == "all" else [args.drill]
    results = {
        (name, backend): DRILLS[name](backend, args.scale) for name in names for backend in backends
    }
    print(
        "summary: "
        + ", ".join(f"{name}/{backend} {verdict(ok)}" for (name, backend), ok in results.items())
    )
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()

"""Certificate printing: one render, naive against ours, and a 500-certificate bulk issue.

Prints, in one run:

* the median milliseconds per certificate for a *naive* WeasyPrint render (the
  same HTML, WeasyPrint's defaults: a new font configuration and both stylesheets
  parsed on every call, no PDF/A) and for *ours* (``render_certificate_pdf``:
  Fontconfig and the parsed CSS kept per process, PDF/A-3b, QR code included),
  both printed whole (the first certificate of a layout) and layered over the
  event's backdrop (every later one, see ``summit/documents/layers.py``);
* the wall time and the peak memory (the command and its workers together, sampled
  from /proc) to issue ``--count`` certificates with ``flask issue-certificates``
  in a process of its own, as an admin would, its workers in parallel, each
  certificate stored on disk with its row, audit entry and email.

Targets: ≤ 50 ms median per certificate, 500 certificates ≤ 12 s on 2 cores,
peak memory ≤ 400 MB. Uses a scratch SQLite database and storage folder in a
temporary directory (``--database-url`` for PostgreSQL: its public schema is
dropped and recreated).

    .venv/bin/python benchmarks/certificates.py [--count 500] [--renders 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(database_url: str, folder: Path):
    from summit import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark",
            "PUBLIC_URL": "https://s5.esd105.org",
            "STORAGE_DIR": str(folder / "storage"),
            "MAIL_SUPPRESS_SEND": True,
            "MAIL_DELIVER_AFTER_REQUEST": False,
        }
    )


def seed(count: int):
    """An event on the 13-topic statute list, ``count`` confirmed people who attended:
    four in five every session (completion), the rest half of them (attendance)."""
    from sqlalchemy import insert, text

    from summit.curricula import STATUTE_CODE, ensure_curricula
    from summit.extensions import db
    from summit.models import (
        AgendaSession,
        Checkin,
        Event,
        Person,
        Registration,
        SessionTopic,
        Tier,
        utcnow,
    )

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.create_all()
    curriculum = ensure_curricula()[STATUTE_CODE]
    start = utcnow().replace(microsecond=0) - timedelta(days=1)
    event = Event(
        slug="s5-bench", name="S5 Summit 2027", starts_on=date(2027, 6, 15),
        ends_on=date(2027, 6, 16), venue_name="Yakima Convention Center",
        venue_address="10 N 8th St, Yakima, WA 98901", curriculum=curriculum,
        certificate_signer_name="Dr. Jane Example", certificate_signer_title="Director, SSOCC",
    )  # fmt: skip
    event.tiers = [Tier(slug="sro", name="SRO")]
    for i, item in enumerate(curriculum.items):
        session = AgendaSession(title=item.title, starts_at=start + timedelta(hours=i),
                                ends_at=start + timedelta(hours=i, minutes=60))  # fmt: skip
        session.topics.append(SessionTopic(topic=item.topic, minutes=60))
        event.sessions.append(session)
    db.session.add(event)
    db.session.flush()
    names = ["Marie-Thérèse Nguyễn", "Alex O'Neil", "李 小龍", "Dana Reyes", "محمد العلي"]
    people = [
        {"email": f"bench{n}@agency.example", "first_name": names[n % 5].split()[0],
         "last_name": names[n % 5].split()[-1] + str(n), "agency": "Yakima Police Department"}
        for n in range(count)
    ]  # fmt: skip
    person_ids = db.session.scalars(insert(Person).returning(Person.id), people).all()
    registration_ids = db.session.scalars(
        insert(Registration).returning(Registration.id),
        [{"event_id": event.id, "person_id": pid, "tier_id": event.tiers[0].id,
          "state": "confirmed", "ticket_code": f"BENCH{n:027d}"}
         for n, pid in enumerate(person_ids)],
    ).all()  # fmt: skip
    scans = []
    for n, rid in enumerate(registration_ids):
        sessions = event.sessions if n % 5 else event.sessions[: len(event.sessions) // 2]
        for session in sessions:
            scans.append({"event_id": event.id, "registration_id": rid, "session_id": session.id,
                          "direction": "in", "status": "ok", "source": "desk",
                          "nonce": f"b-{rid}-{session.id}", "scanned_at": session.starts_at,
                          "recorded_at": session.starts_at})  # fmt: skip
    db.session.execute(insert(Checkin), scans)
    db.session.commit()
    return event


class MemorySampler(threading.Thread):
    """Sums the proportional set size (PSS: shared pages split between the processes
    that share them) of one process and all its descendants, every 200 ms
    (reading smaps costs kernel time on the same two cores; the peak is a plateau)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(0.2)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(next(line for line in status.splitlines()
                              if line.startswith("Pss:")).split()[1]) * 1024  # fmt: skip
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def median_ms(function, repeat: int) -> float:
    function()  # warm-up: imports, first font lookups
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--workers", type=int, default=None, help="default: CPUs")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from flask import render_template
    from sqlalchemy import func, select
    from weasyprint import CSS, HTML

    from summit.certificates import document
    from summit.certificates.eligibility import certificate_for
    from summit.certificates.services import certificate_details
    from summit.documents import layers
    from summit.documents.pdf import fast_font_subsetting
    from summit.extensions import db
    from summit.models import Certificate, CertificateBatch, Registration

    with tempfile.TemporaryDirectory(prefix="summit-bench-") as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        app = build_app(url, folder)
        with app.app_context():
            event = seed(args.count)
            print(f"cores: {len(os.sched_getaffinity(0))}, HarfBuzz subsetting: "
                  f"{'yes' if fast_font_subsetting() else 'NO (fontTools fallback)'}, "
                  f"database: {db.engine.dialect.name}")  # fmt: skip

            # One certificate's content, rendered both ways.
            registration = db.session.scalar(select(Registration).limit(1).offset(1))
            details = certificate_details(registration, certificate_for(registration))
            holder = Certificate(serial="S5-2027-000001", verification_code="A" * 32,
                                 version=1, details=details, event=event)  # fmt: skip
            static = Path(app.static_folder)

            def naive() -> bytes:
                captured = {}
                original = document.render_layered

                def capture(template, _layer_template, context, **options):
                    captured["html"] = render_template(
                        template, **context, layer="full", pdf_title="t", pdf_subject="",
                        pdf_author="a", static_asset=lambda path: (static / path).as_uri(),
                    )  # fmt: skip
                    return b""

                document.render_layered = capture
                try:
                    document.render_certificate_pdf(holder)
                finally:
                    document.render_layered = original
                sheets = [CSS(filename=static / "documents/base.css"),
                          CSS(filename=static / "documents/certificate.css")]  # fmt: skip
                return HTML(string=captured["html"]).write_pdf(stylesheets=sheets)

            def ours() -> bytes:
                return document.render_certificate_pdf(holder)

            naive_ms = median_ms(naive, args.renders)
            # Whole: how the first certificate of a layout is printed (no backdrop yet).
            layers.WHOLE_PRINTS_BEFORE_BACKDROP = 10**9
            whole_ms = median_ms(ours, args.renders)
            layers.WHOLE_PRINTS_BEFORE_BACKDROP = 1
            ours_ms = median_ms(ours, args.renders)  # layered, over the event's backdrop
            print(f"one certificate, median of {args.renders}: naive WeasyPrint "
                  f"{naive_ms:.1f} ms; ours whole (first of its layout) {whole_ms:.1f} ms; "
                  f"ours layered {ours_ms:.1f} ms ({naive_ms / ours_ms:.2f}x naive)  "
                  "[target ≤ 50 ms]")  # fmt: skip
            db.session.rollback()

            # The bulk issue as an admin runs it: the CLI in a process of its own (app
            # start included), forking its workers; nothing is kept from the renders above.
            slug = event.slug
            db.session.remove()
            sampler_started = time.perf_counter()
            command = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "summit", "issue-certificates",
                 slug, "--without-signature",
                 *(["--workers", str(args.workers)] if args.workers else [])],
                env={**os.environ, **cli_environment(url, folder)}, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            sampler = MemorySampler(command.pid)
            sampler.start()
            _, errors = command.communicate()
            wall = time.perf_counter() - sampler_started
            peak = sampler.stop()
            if command.returncode:
                sys.exit(f"issue-certificates failed ({command.returncode}): {errors}")
            newest = select(CertificateBatch).order_by(CertificateBatch.id.desc())
            finished = db.session.scalar(newest)
            stored = db.session.scalar(select(func.count()).select_from(Certificate))
            serials = db.session.scalar(select(func.count(func.distinct(Certificate.serial))))
            issuing = (finished.finished_at - finished.started_at).total_seconds()
            print(f"bulk issue (flask issue-certificates): {finished.done} done, "
                  f"{finished.failed} failed, {stored} stored, "
                  f"{serials} distinct serials")  # fmt: skip
            print(f"  wall {wall:.1f} s for {args.count} with app start, {issuing:.1f} s issuing "
                  f"({issuing / args.count * 1000:.0f} ms each), workers "
                  f"{args.workers or len(os.sched_getaffinity(0))}  [target ≤ 12 s]")  # fmt: skip
            print(
                f"  peak memory, the command and its workers: {peak / 2**20:.0f} MB  "
                "[target ≤ 400 MB]"
            )


def cli_environment(database_url: str, folder: Path) -> dict[str, str]:
    """The same settings as ``build_app``, the way the CLI reads them."""
    return {
        "DATABASE_URL": database_url,
        "SUMMIT_SECRET_KEY": "benchmark",
        "SUMMIT_PUBLIC_URL": "https://s5.esd105.org",
        "SUMMIT_STORAGE_DIR": str(folder / "storage"),
        "SUMMIT_MAIL_SUPPRESS_SEND": "true",
        "SUMMIT_MAIL_DELIVER_AFTER_REQUEST": "false",
    }


if __name__ == "__main__":
    main()

"""The agenda editor page (``/staff/events/<slug>/agenda``) with 60 sessions.

Prints the median and p95 milliseconds of the page (in process, through the Flask
test client signed in as an admin: the view, its queries, its warnings and the
template; no HTTP server) and the SQL statements one page load runs, for 10 and
for ``--sessions`` sessions: the count must be the same (no query per session).
Target: ≤ 100 ms median with 60 sessions, a constant number of queries.

Uses a scratch SQLite database in a temporary directory (``--database-url`` for
PostgreSQL: its public schema is dropped and recreated).

    .venv/bin/python benchmarks/agenda.py [--sessions 60] [--requests 50] [--database-url …]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import percentile

PASSWORD = "agenda-bench-password-2027"  # noqa: S105 (a scratch database)


def build_app(database_url: str, folder: Path):
    from summit import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark",
            "PUBLIC_URL": "https://s5.esd105.org",
            "STORAGE_DIR": str(folder / "storage"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SUPPRESS_SEND": True,
            "MAIL_DELIVER_AFTER_REQUEST": False,
        }
    )


def seed() -> str:
    """A two-day event on the 13-topic statute list, no sessions yet, and an admin."""
    from sqlalchemy import text

    from summit.auth.services import create_staff
    from summit.curricula import STATUTE_CODE, ensure_curricula
    from summit.extensions import db
    from summit.models import Event, Tier

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.create_all()
    curriculum = ensure_curricula()[STATUTE_CODE]
    event = Event(
        slug="s5-bench", name="S5 Summit 2027", starts_on=date(2027, 6, 15),
        ends_on=date(2027, 6, 16), venue_name="Yakima Convention Center",
        curriculum=curriculum, tiers=[Tier(slug="sro", name="SRO")],
    )  # fmt: skip
    db.session.add(event)
    db.session.commit()
    create_staff("bench-admin@esd105.example", "admin", PASSWORD, name="Bench")
    return event.slug


def add_sessions(slug: str, total: int) -> None:
    """Sessions up to ``total``: four rooms, 45 minutes each, one or two subjects."""
    from sqlalchemy import func, select

    from summit.extensions import db
    from summit.models import AgendaSession, Event, SessionTopic

    event = db.session.scalar(select(Event).where(Event.slug == slug))
    have = db.session.scalar(select(func.count()).where(AgendaSession.event_id == event.id))
    topics = [item.topic_id for item in event.curriculum.items]
    zone = ZoneInfo(event.timezone)
    for n in range(have, total):
        day, slot = divmod(n // 4, 8)
        start = datetime.combine(event.starts_on + timedelta(days=day % 2), datetime.min.time())
        start = start.replace(hour=8, tzinfo=zone).astimezone(UTC) + timedelta(hours=slot)
        session = AgendaSession(
            event_id=event.id, title=f"Breakout {n + 1}", room=f"Room {n % 4 + 1}",
            speakers="Dana Reyes, Sam Ortiz", starts_at=start,
            ends_at=start + timedelta(minutes=45),
        )  # fmt: skip
        session.topics = [SessionTopic(topic_id=topics[n % len(topics)], minutes=30)]
        if n % 3 == 0:
            session.topics.append(SessionTopic(topic_id=topics[(n + 1) % len(topics)], minutes=15))
        db.session.add(session)
    db.session.commit()


def statements(client, url: str) -> int:
    """SQL statements one page load runs (transaction control left out)."""
    from sqlalchemy import event as sa_event

    from summit.extensions import db

    count = 0

    def counter(_conn, _cursor, statement: str, *_args) -> None:
        nonlocal count
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            count += 1

    db.session.expire_all()
    sa_event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", counter)
    return count


def timed(client, url: str, requests: int) -> list[float]:
    from summit.extensions import db

    for _ in range(5):  # warm-up: templates compiled, connections pooled
        client.get(url)
    samples = []
    for _ in range(requests):
        db.session.expire_all()  # each request reads afresh, as a new one would
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from summit.extensions import db

    with tempfile.TemporaryDirectory(prefix="summit-bench-") as scratch:
        folder = Path(scratch)
        app = build_app(args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}", folder)
        with app.app_context():
            slug = seed()
            client = app.test_client()
            signed_in = client.post(
                "/staff/sign-in", data={"email": "bench-admin@esd105.example", "password": PASSWORD}
            )
            assert signed_in.status_code == 302, signed_in.status_code
            url = f"/staff/events/{slug}/agenda"
            print(f"cores: {len(os.sched_getaffinity(0))}, database: {db.engine.dialect.name}")
            for total in (10, args.sessions):
                add_sessions(slug, total)
                count = statements(client, url)
                samples = timed(client, url, args.requests)
                print(
                    f"{total:3d} sessions: median {statistics.median(samples):6.1f} ms, "
                    f"p95 {percentile(samples, 0.95):6.1f} ms, {count} SQL statements"
                )
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()

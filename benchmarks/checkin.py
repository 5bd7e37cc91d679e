"""Check-in API latency and throughput on gunicorn (2 workers), SQLite and PostgreSQL.

Phase 1: one scanner checks in 500 tickets, one request at a time (p50/p99).
Phase 2: eight scanners at once each scan the same 500 fresh tickets in a
different order (4000 scans): exactly 500 must answer ``ok`` and 3500
``already_checked_in``, with no error and no lost scan; scans/s is the rate.
Afterwards: the resident memory (RSS) of each gunicorn worker.
Targets: p99 < 25 ms at 1 client, ≥ 300 scans/s at 8 clients, RSS < 150 MB.

    .venv/bin/python benchmarks/checkin.py [--tickets 500] [--clients 8] [--backend both]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    ROOT,
    VENV_BIN,
    flask,
    gunicorn,
    scratch_postgres,
    server_env,
    summary,
    temp_instance,
)

sys.path.insert(0, str(ROOT))


def prepare(env: dict[str, str], tickets: int) -> tuple[str, str, list[list[str]]]:
    """Migrate, seed the demo event, add a scanner token and two batches of tickets."""
    flask(env, "init-db")
    flask(env, "seed-demo")
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "summit", "create-staff", "bench@esd105.example",
         "--role", "checkin", "--name", "Bench", "--password-stdin"],
        input="door-scanner-drill-2027\n", text=True, env=env, cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    created = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "summit", "create-api-token", "bench@esd105.example"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    token = created.stdout.splitlines()[1].strip()
    os.environ.update({k: v for k, v in env.items() if k.startswith(("SUMMIT_", "DATABASE_"))})
    from summit import create_app
    from summit.extensions import db
    from summit.models import Event, Person, Registration
    from summit.registration.fields import new_ticket_code

    app = create_app()
    batches: list[list[str]] = []
    with app.app_context():
        event = db.session.query(Event).one()
        tier = next(tier for tier in event.tiers if tier.is_free)
        for batch in range(2):
            codes = []
            for n in range(tickets):
                person = Person(email=f"bench{batch}-{n}@wsp.example", first_name="Bench",
                                last_name=f"Officer{batch}-{n}", agency="WSP")  # fmt: skip
                code = new_ticket_code()
                db.session.add(Registration(event=event, person=person, tier=tier,
                                            state="confirmed", ticket_code=code))  # fmt: skip
                codes.append(code)
            batches.append(codes)
        db.session.commit()
        slug = event.slug
        db.engine.dispose()
    return slug, token, batches


def scanner(base: str, slug: str, token: str, codes: list[str]) -> tuple[list[float], Counter]:
    """Scan ``codes`` one by one; returns latencies in ms and a count of answers."""
    host, port = base.removeprefix("http://").split(":")
    path = f"/api/v1/events/{slug}/checkins"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    timings, answers = [], Counter()
    for code in codes:
        body = json.dumps({"code": code, "nonce": uuid.uuid4().hex})
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        timings.append((time.perf_counter() - started) * 1000)
        if response.status in (200, 201):
            answers[json.loads(data)["status"]] += 1
        else:
            answers[f"http_{response.status}"] += 1
    return timings, answers


def healthz(base: str, count: int) -> list[float]:
    host, port = base.removeprefix("http://").split(":")
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        connection.close()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def baseline(label: str, base: str, clients: int) -> None:
    """The same server answering /healthz (one tiny query): what the framework costs here."""
    timings = healthz(base, 300)
    print(f"{label:10s} baseline /healthz 1 client : {summary(timings)}")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda _: healthz(base, 150), range(clients)))
    rate = clients * 150 / (time.perf_counter() - started)
    timings = [t for result in results for t in result]
    print(f"{label:10s} baseline /healthz {clients} clients: {summary(timings)}  {rate:6.0f} req/s")


def worker_rss_mb(master_pid: int) -> list[float]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def count_rows(env: dict[str, str], slug: str) -> Counter:
    from sqlalchemy import func, select

    from summit import create_app
    from summit.extensions import db
    from summit.models import Checkin, Event

    app = create_app()
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
        rows = db.session.execute(
            select(Checkin.status, func.count())
            .where(Checkin.event_id == event_id)
            .group_by(Checkin.status)
        ).all()
        db.engine.dispose()
    return Counter(dict(rows))


def run(label: str, database_url: str, args) -> None:
    env = server_env(database_url, temp_instance(), SUMMIT_SECRET_KEY="bench")
    slug, token, (single, shared) = prepare(env, args.tickets)
    with gunicorn(env, args.workers) as (base, process):
        scanner(base, slug, token, ["WARMUPCODE"] * 20)  # every worker imported and connected
        baseline(label, base, args.clients)

        started = time.perf_counter()
        timings, answers = scanner(base, slug, token, single)
        elapsed = time.perf_counter() - started
        print(f"{label:10s} 1 client : {summary(timings)}  {len(single) / elapsed:6.0f} scans/s"
              f"  answers {dict(answers)}")  # fmt: skip

        orders = [shared[n * 61 % len(shared) :] + shared[: n * 61 % len(shared)]
                  for n in range(args.clients)]  # fmt: skip
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(lambda codes: scanner(base, slug, token, codes), orders))
        elapsed = time.perf_counter() - started
        timings = [t for result in results for t in result[0]]
        answers = sum((result[1] for result in results), Counter())
        print(f"{label:10s} {args.clients} clients: {summary(timings)}"
              f"  {len(timings) / elapsed:6.0f} scans/s  answers {dict(answers)}")  # fmt: skip
        rss = worker_rss_mb(process.pid)
        print(f"{label:10s} worker RSS after the run: "
              + ", ".join(f"{size:.0f} MB" for size in rss))  # fmt: skip
    rows = count_rows(env, slug)
    expected_ok = 2 * args.tickets
    lost = expected_ok - rows["ok"]
    print(f"{label:10s} stored: {dict(rows)}; lost check-ins: {lost}"
          f"{'  <-- FAIL' if lost or answers.get('ok') != args.tickets else ''}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        instance = temp_instance()
        run("sqlite", f"sqlite:///{instance}/bench.sqlite3", args)
    if args.backend in ("postgres", "both"):
        with scratch_postgres("summit_bench_checkin") as database_url:
            run("postgres", database_url, args)


if __name__ == "__main__":
    main()

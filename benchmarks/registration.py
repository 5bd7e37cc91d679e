"""Registration throughput and latency on gunicorn (4 workers) and PostgreSQL.

Each simulated officer opens the form (GET, for the CSRF token) and submits it
(POST); the POST is timed. The baseline, measured in the same run on the same
server, is the public event page. Target: p95 under 250 ms at 16 clients.

    .venv/bin/python benchmarks/registration.py [--clients 16] [--per-client 50]
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import flask, gunicorn, scratch_postgres, server_env, summary, temp_instance

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def officer(base: str, slug: str, client: int, count: int) -> list[float]:
    """One client registering ``count`` different people; returns POST latencies in ms.

    A kept-alive ``http.client`` connection and a hand-kept session cookie keep the
    load generator light: it shares the 2 cores with the server it measures.
    """
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    path = f"/events/{slug}/register"
    timings = []
    for n in range(count):
        connection.request("GET", path)
        response = connection.getresponse()
        html = response.read().decode()
        cookie = next(
            c.split(";", 1)[0]
            for c in response.msg.get_all("Set-Cookie")
            if c.startswith("session=")
        )
        token = TOKEN.search(html).group(1)
        body = urllib.parse.urlencode({
            "csrf_token": token, "tier": "sro", "first_name": "Bench", "last_name": f"Officer{n}",
            "email": f"bench{client}-{n}@wsp.example", "phone": "509-555-0105",
            "agency": "Washington State Patrol", "job_title": "Trooper",
            "school_district": "Yakima SD",
        })  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status != 303:
            raise RuntimeError(f"registration answered {answer.status}")
    connection.close()
    return timings


def page_latency(base: str, path: str, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        urllib.request.urlopen(base + path).read()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with scratch_postgres("summit_bench_registration") as database_url:
        env = server_env(database_url, temp_instance(), SUMMIT_SECRET_KEY="bench")
        flask(env, "init-db")
        flask(env, "seed-demo")
        _unlimited_capacity(env)
        with gunicorn(env, args.workers) as (base, _process):
            slug = re.search(r'href="/events/([^"]+)"', page(base, "/")).group(1)
            page_latency(base, f"/events/{slug}", 20)  # warm up every worker
            baseline = page_latency(base, f"/events/{slug}", 200)
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                runs = pool.map(lambda c: officer(base, slug, c, args.per_client),
                                range(args.clients))  # fmt: skip
                timings = [t for run in runs for t in run]
            wall = time.perf_counter() - started
    total = args.clients * args.per_client
    print(f"gunicorn {args.workers} workers, PostgreSQL, {args.clients} concurrent clients")
    print(f"baseline event page (1 client): {summary(baseline)}")
    print(f"registration POST:              {summary(timings)}")
    print(f"registrations/s (GET form + POST per registration): {total / wall:.1f}")
    ratio = sorted(timings)[int(0.5 * len(timings))] / sorted(baseline)[len(baseline) // 2]
    print(f"registration p50 / baseline p50: {ratio:.1f}x")


def page(base: str, path: str) -> str:
    return urllib.request.urlopen(base + path).read().decode()


def _unlimited_capacity(env: dict[str, str]) -> None:
    """Lift the demo's 250-seat cap so every benchmark registration is a confirmation."""
    import os

    os.environ.update({k: v for k, v in env.items() if k.startswith(("DATABASE", "SUMMIT"))})
    from summit import create_app
    from summit.extensions import db
    from summit.models import Event

    app = create_app()
    with app.app_context():
        for event in db.session.scalars(db.select(Event)):
            event.capacity = None
        db.session.commit()
        db.engine.dispose()


if __name__ == "__main__":
    main()

"""Shared helpers for benchmarks: a throw-away database and a gunicorn server."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@contextmanager
def scratch_postgres(name: str, admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"):
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, instance: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SUMMIT_INSTANCE_PATH": instance,
        "SUMMIT_RATELIMIT_ENABLED": "false",
        "SUMMIT_MAIL_DELIVER_AFTER_REQUEST": "false",
        **extra,
    }


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "summit", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workers: int, stderr=None):
    """Serve wsgi:app with gunicorn; yields the base URL and the master's process.

    ``stderr``: where its log goes (a file for drills whose errors are expected)."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        env=env, cwd=ROOT, stderr=stderr,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(samples_ms: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples_ms):6.1f} ms  p95 {percentile(samples_ms, 0.95):6.1f} ms"
        f"  p99 {percentile(samples_ms, 0.99):6.1f} ms  (n={len(samples_ms)})"
    )


def temp_instance() -> str:
    return tempfile.mkdtemp(prefix="summit-bench-")

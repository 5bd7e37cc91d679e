"""``issue-certificates`` as a real process: killed mid-run, it leaves no worker behind.

Before, its pool's two workers ran on after SIGTERM or SIGKILL, adopted by PID 1,
150 MB each (the drill). Linux only: the guard is ``prctl(PR_SET_PDEATHSIG)``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from summit.extensions import db
from tests.helpers import attend

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc and relies on Linux's prctl"
)


def children_of(pid: int) -> set[int]:
    """Processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:  # state, ppid, …
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killing_issue_certificates_stops_its_workers(
    app, make_event, make_registration, tmp_path, signum
):
    event = make_event()
    for _ in range(48):
        attend(make_registration(event=event))
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SUMMIT_INSTANCE_PATH": str(tmp_path),
        "SUMMIT_STORAGE_DIR": app.config["STORAGE_DIR"],
    }
    slug = event.slug
    db.session.remove()  # nothing of this test holds the database while the command runs
    flask = [sys.executable, "-m", "flask", "--app", "summit"]
    command = subprocess.Popen(
        [*flask, "issue-certificates", slug, "--workers", "2", "--no-email", "--without-signature"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: set[int] = set()
    try:
        assert wait_until(lambda: len(children_of(command.pid)) >= 2, 60), "no pool started"
        workers = children_of(command.pid)
        command.send_signal(signum)
        command.wait(timeout=10)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 10), [
            pid for pid in workers if alive(pid)
        ]
    finally:
        if command.poll() is None:
            command.kill()
            command.wait(timeout=10)
        for pid in workers:  # what the bug left behind, so the suite does not leak it
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

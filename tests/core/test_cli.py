from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from summit.curricula import SEED_PAGE_CODE
from summit.demo_history import last_june
from summit.extensions import db
from summit.models import (
    Certificate,
    Checkin,
    Event,
    OutboxMessage,
    Payment,
    Person,
    Registration,
    SelfTrainingEntry,
    StaffUser,
)


@pytest.mark.parametrize(
    "command",
    [
        "init-db",
        "seed-demo",
        "create-staff",
        "demo",
        "expire-offers",
        "send-mail",
        "send-reminders",
        "create-api-token",
        "issue-certificates",
        "check",
    ],
)
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == second.exit_code == 0
    assert "Demo event: S5 Summit" in first.output
    assert Event.query.count() == 1


def test_create_staff_reads_the_password_from_stdin(runner):
    result = runner.invoke(
        args=["create-staff", "Desk@ESD105.example", "--role", "checkin", "--password-stdin"],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    staff = StaffUser.query.one()
    assert staff.email == "desk@esd105.example" and staff.role == "checkin"
    assert check_password_hash(staff.password_hash, "a-long-enough-password")
    assert "a-long-enough-password" not in staff.password_hash


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["x@esd105.example", "--role", "root"], "a-long-enough-password\n", "Invalid value"),
        (["x@esd105.example", "--role", "admin"], "short\n", "at least 12 characters"),
        (["not-an-email", "--role", "admin"], "a-long-enough-password\n", "@-sign"),
    ],
)
def test_create_staff_refuses_bad_input(runner, args, stdin, message):
    result = runner.invoke(args=["create-staff", *args, "--password-stdin"], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert StaffUser.query.count() == 0


def counts() -> dict[str, int]:
    """Rows of what the demo seeds (the audit log gains the admin's fresh password)."""
    models = (
        Event,
        Person,
        Registration,
        Checkin,
        Certificate,
        SelfTrainingEntry,
        Payment,
        OutboxMessage,
        StaffUser,
    )
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def test_demo_seeds_a_lived_in_year_once_and_prints_a_login(make_app, tmp_path):
    """On an empty database, as on a fresh machine: migrate, seed this year's event and
    last June's summit, print a login and a certificate to verify; again adds nothing."""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        after_first = counts()
    second = runner.invoke(args=["demo", "--no-serve"])
    assert second.exit_code == 0, second.output

    with app.app_context():
        assert counts() == after_first
        assert after_first["Event"] == 2
        past = db.session.scalar(select(Event).order_by(Event.starts_on))
        assert past.ends_on < date.today()
        assert past.curriculum.code == SEED_PAGE_CODE
        # The 12-unit list leaves out subject (m): even full attendance is not a completion.
        kinds = sorted(c.kind for c in db.session.scalars(select(Certificate)))
        assert kinds == ["attendance", "attendance", "attendance"]
        entries = db.session.scalars(select(SelfTrainingEntry.status)).all()
        assert sorted(entries) == ["accepted", "accepted", "accepted", "submitted"]
        pending = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status != "sent")
        ).all()
        assert pending == []  # last year's mail is not sent again today

    client = app.test_client()
    code = second.output.split("code:")[1].split()[0]
    page_url = second.output.split("page:")[1].split()[0]
    assert page_url.endswith("/verify/" + code.replace("-", ""))
    verified = client.get(page_url.split("127.0.0.1:5000", 1)[1])
    assert verified.status_code == 200
    assert "Maria Delgado" in verified.get_data(as_text=True)
    assert f"/events/{past.slug}" in second.output

    checked = runner.invoke(args=["check"])  # the real probes, on the migrated database
    assert checked.exit_code == 0, checked.output
    assert "OK    database: sqlite:///" in checked.output and "schema up to date" in checked.output

    password = second.output.split("password:")[1].split()[0]
    email = second.output.split("email:")[1].split()[0]
    response = client.post("/staff/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302
    assert "/events/s5-" in second.output


@pytest.mark.parametrize(
    ("today", "summit"),
    [
        (date(2026, 12, 6), date(2026, 6, 16)),
        (date(2027, 5, 1), date(2026, 6, 16)),
        (date(2027, 6, 16), date(2026, 6, 16)),  # this June's is under way
        (date(2027, 7, 1), date(2027, 6, 15)),
    ],
)
def test_last_june_is_the_latest_summit_that_is_over(today, summit):
    assert last_june(today) == summit


def test_demo_serves_the_event_on_the_printed_url(tmp_path):
    """The README's first command, end to end: migrate, seed, print, and really serve."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "SUMMIT_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "summit", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = None
        for _ in range(300):
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                page = home.decode()
                break
            except OSError:
                time.sleep(0.2)
        assert page is not None, "the demo server never answered"
        assert 'href="/events/s5-' in page
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"summit is ready: http://127.0.0.1:{port}" in output
    assert "password:" in output

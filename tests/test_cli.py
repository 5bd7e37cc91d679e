import pytest
from werkzeug.security import check_password_hash

from summit.models import Event, StaffUser


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


def test_demo_prints_a_working_staff_login(make_app, tmp_path):
    """On an empty database, as on a fresh machine: migrate, seed, print a login."""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password:")[1].split()[0]
    email = result.output.split("email:")[1].split()[0]
    client = app.test_client()
    response = client.post("/staff/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302
    assert "/events/s5-" in result.output


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
        for _ in range(150):
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

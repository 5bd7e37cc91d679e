"""Command-line entry points: thin wrappers over services, each with ``--help``."""

from __future__ import annotations

import os
import secrets
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError
from werkzeug.serving import run_simple

from summit.auth.services import StaffError, create_staff
from summit.checks import FAIL, WARN, run_checks, warn_at_start
from summit.curricula import ensure_curricula
from summit.demo import seed_demo, use_demo_settings
from summit.demo_history import seed_past_summit
from summit.documents.pdf import return_large_buffers_promptly
from summit.extensions import db
from summit.queue import start_consumer, worker_command
from summit.verification import grouped_verification_code


def init_cli(app: Flask) -> None:
    from summit.api.cli import create_api_token_command
    from summit.certificates.cli import issue_certificates_command
    from summit.registration.cli import expire_offers_command

    for command in (
        init_db_command,
        seed_demo_command,
        create_staff_command,
        demo_command,
        check_command,
        expire_offers_command,
        create_api_token_command,
        issue_certificates_command,
        worker_command,
    ):
        app.cli.add_command(command)


def _apply_migrations() -> None:
    try:
        with db.engine.connect():
            pass
    except OperationalError as error:
        raise click.ClickException(
            f"cannot reach the database: {error.orig or error}".splitlines()[0]
        ) from None
    upgrade()
    ensure_curricula()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Apply all database migrations and load the shipped training curricula."""
    _apply_migrations()
    click.echo("Database is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo S5 event (next June in Yakima) if it does not exist yet."""
    event = seed_demo()
    click.echo(f"Demo event: {event.name} ({event.slug}), {event.starts_on} to {event.ends_on}.")


@click.command("create-staff")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "checkin"]), required=True)
@click.option("--name", default="", help="Display name shown on check-in records.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (no prompt)."
)
@with_appcontext
def create_staff_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff account, or reset the role and password of an existing one."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        staff = create_staff(email, role, password, name=name)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Staff account {staff.email} ({staff.role}) is ready.")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the demo but do not start the server.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Migrate, seed the demo event and last June's summit, print a fresh admin login,
    and serve on HOST:PORT with the task consumer (mail, offers, certificates) beside it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    use_demo_settings(app.config)
    if "SUMMIT_REQUIRE_ADMIN_TOTP" not in os.environ:
        app.config["REQUIRE_ADMIN_TOTP"] = False  # the printed password alone opens the demo
    _apply_migrations()
    event = seed_demo()
    password = secrets.token_urlsafe(12)
    staff = create_staff("admin@summit.example", "admin", password, name="Demo admin")
    past = seed_past_summit(staff=staff)
    url = f"http://{host}:{port}"
    click.echo(
        f"\n  summit is ready: {url}\n"
        f"  Demo event:      {url}/events/{event.slug}\n"
        f"  Last year:       {url}/events/{past.event.slug} (certificates issued)\n"
        f"  Staff sign-in:   {url}/staff/sign-in\n"
        f"    email:         {staff.email}\n"
        f"    password:      {password}\n"
        f"  Two-step sign-in for admins is "
        f"{'required' if app.config['REQUIRE_ADMIN_TOTP'] else 'off'} "
        f"(SUMMIT_REQUIRE_ADMIN_TOTP=true to try it).\n"
    )
    if past.certificates:
        certificate = past.certificates[0]
        person = certificate.registration.person
        click.echo(
            f"  Verify {person.full_name}'s certificate {certificate.serial}:\n"
            f"    code:          {grouped_verification_code(certificate.verification_code)}\n"
            f"    page:          {url}/verify/{certificate.verification_code}\n"
        )
    if not no_serve:
        return_large_buffers_promptly()  # the demo server prints PDFs in this process
        warn_at_start(app, demo=True)
        start_consumer(app)  # threads: the server keeps the main thread and Ctrl-C
        # Flask refuses app.run() inside its own CLI, so serve with werkzeug directly.
        run_simple(host, port, app, threaded=True)


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Say what this install lacks and what each gap costs (fonts, PDF speed, mail,
    public URL, rate limits, database); exits non-zero only when the site cannot work."""
    findings = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    for finding in findings:
        click.echo(finding.line())
    failed = sum(finding.level == FAIL for finding in findings)
    warned = sum(finding.level == WARN for finding in findings)
    if failed:
        click.echo(f"{failed} to fix before the site can work, {warned} to consider.")
        sys.exit(1)
    click.echo("Ready." if not warned else f"Ready, with {warned} to consider.")

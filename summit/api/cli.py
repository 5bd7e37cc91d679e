"""``flask --app summit create-api-token EMAIL [--event SLUG …]``: a scanner app's token."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from summit.auth.api_tokens import API_ROLES, TokenError, create_api_token, scope_label
from summit.extensions import db
from summit.loaders import find_event
from summit.models import StaffUser


@click.command("create-api-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'door scanner 1'.")
@click.option(
    "--event",
    "slugs",
    multiple=True,
    help="An event the token may see (repeat for several). Without it: every event for "
    "an admin token, every published event for a check-in token.",
)
@click.option(
    "--role",
    type=click.Choice(API_ROLES),
    default=None,
    help="The token's role; the staff member's own by default, never above it.",
)
@with_appcontext
def create_api_token_command(email: str, name: str, slugs: tuple[str, ...], role: str | None):
    """Create an API token acting as staff member EMAIL; prints it once."""
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if staff is None:
        raise click.ClickException(f"no staff account {email.strip()!r}")
    events = []
    for slug in slugs:
        event = find_event(slug.strip())
        if event is None:
            raise click.ClickException(f"no event {slug.strip()!r}")
        events.append(event)
    try:
        row, token = create_api_token(staff, name=name, actor="cli", role=role, events=events)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"API token for {staff.email} ({row.role}, {scope_label(row)}), shown only now:\n{token}"
    )
    click.echo(f"Use it as: Authorization: Bearer {row.prefix}…")

"""``flask --app summit create-api-token EMAIL``: a bearer token for a scanner app."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from summit.auth.api_tokens import TokenError, create_api_token
from summit.extensions import db
from summit.models import StaffUser


@click.command("create-api-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'door scanner 1'.")
@with_appcontext
def create_api_token_command(email: str, name: str) -> None:
    """Create an API token acting as staff member EMAIL; prints it once."""
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if staff is None:
        raise click.ClickException(f"no staff account {email.strip()!r}")
    try:
        row, token = create_api_token(staff, name=name, actor="cli")
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"API token for {staff.email} ({staff.role}), shown only now:\n{token}")
    click.echo(f"Use it as: Authorization: Bearer {row.prefix}…")

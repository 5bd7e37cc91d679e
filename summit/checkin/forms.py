"""Forms of the check-in pages: walk-in registration and API tokens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from summit.forms import no_links, single_line
from summit.models import Event
from summit.registration.fields import normalise_email, normalise_phone


def _clean(value: str | None) -> str | None:
    """Trimmed, without control characters (PostgreSQL refuses NUL in text)."""
    if value is None:
        return None
    return "".join(ch for ch in value if ch.isprintable()).strip()


class WalkInForm(FlaskForm):
    """The few details needed to register someone standing at the desk."""

    tier = SelectField("Registration type", validators=[DataRequired()])
    first_name = StringField(
        "First name", validators=[DataRequired(), Length(max=100), no_links], filters=[single_line]
    )
    last_name = StringField(
        "Last name", validators=[DataRequired(), Length(max=100), no_links], filters=[single_line]
    )
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], filters=[_clean])
    agency = StringField(
        "Agency or district",
        validators=[Optional(), Length(max=200), no_links],
        filters=[single_line],
    )
    phone = TelField("Phone", validators=[Optional(), Length(max=40)], filters=[_clean])
    submit = SubmitField("Register and check in")

    def __init__(self, event: Event, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tier.choices = [
            (tier.slug, tier.name_with_price) for tier in event.tiers if tier.is_open
        ]

    def validate_email(self, field) -> None:
        try:
            field.data = normalise_email(field.data or "")
        except ValueError as error:
            raise ValidationError(
                f"Enter an email address such as name@agency.org ({error})."
            ) from None

    def validate_phone(self, field) -> None:
        try:
            field.data = normalise_phone(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ApiTokenForm(FlaskForm):
    staff = SelectField("Acts as staff member", coerce=int, validators=[DataRequired()])
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("checkin", "Check-in: scans, and undoes its own scans"),
            SelectChoice("admin", "Admin: also undoes other scanners' check-ins"),
        ],
        default="checkin",
        validators=[DataRequired()],
    )
    events = SelectMultipleField("Events", coerce=int, validators=[Optional()])
    name = StringField(
        "What it is for",
        validators=[Optional(), Length(max=120)],
        description="e.g. 'door scanner 1'",
    )
    submit = SubmitField("Create token")

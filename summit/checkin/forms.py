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
from wtforms.validators import DataRequired, Length, Optional

from summit.forms import no_links, single_line
from summit.registration.forms import EventSignUp


def _clean(value: str | None) -> str | None:
    """Trimmed, without control characters (PostgreSQL refuses NUL in text)."""
    if value is None:
        return None
    return "".join(ch for ch in value if ch.isprintable()).strip()


class WalkInForm(EventSignUp, FlaskForm):
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

"""Form pieces every feature uses: the text filters and the button-only form.

They live here, not in one feature, so that a feature's forms never import
another feature's (see ARCHITECTURE.md, "Helpers shared by features").
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(form, field) -> None:
    """Refuse binary junk (NUL and other control characters) in any text field."""
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError("This field contains characters that are not allowed.")


def strip(value):
    """Drop the spaces people paste around what they type; leaves non-text alone."""
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button with nothing to fill in (approve, resend email): only the CSRF token."""


class ReasonRequiredForm(FlaskForm):
    """A staff action that must say why (reject, waive, revoke, withhold): audited."""

    reason = TextAreaField(
        "Reason",
        filters=[strip],
        validators=[
            DataRequired("Give a reason; it is kept in the audit log."),
            Length(max=500),
            plain_text,
        ],
    )


class ContactForm(FlaskForm):
    """The contact fields a person types at registration and may correct later."""

    first_name = StringField(
        "First name",
        filters=[strip],
        validators=[DataRequired("Enter your first name."), Length(max=100), plain_text],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        "Last name",
        filters=[strip],
        validators=[DataRequired("Enter your last name."), Length(max=100), plain_text],
        render_kw={"autocomplete": "family-name"},
    )
    phone = TelField(
        "Phone",
        filters=[strip],
        validators=[DataRequired("Enter a phone number."), Length(max=40), plain_text],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    agency = StringField(
        "Agency or employer",
        filters=[strip],
        validators=[
            DataRequired("Enter your agency or employer."),
            Length(max=200),
            plain_text,
        ],
        render_kw={"autocomplete": "organization"},
    )
    job_title = StringField(
        "Job title",
        filters=[strip],
        validators=[DataRequired("Enter your job title."), Length(max=200), plain_text],
        render_kw={"autocomplete": "organization-title"},
    )

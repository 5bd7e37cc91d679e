"""Form pieces every feature uses: the text filters and the button-only form.

They live here, not in one feature, so that a feature's forms never import
another feature's (see ARCHITECTURE.md, "Helpers shared by features").
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import TextAreaField
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

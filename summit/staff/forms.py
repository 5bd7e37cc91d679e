"""Forms of the staff accounts pages; every one carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from summit.auth.passwords import MAX_LENGTH
from summit.forms import plain_text, single_line, strip

ROLE_CHOICES = [
    SelectChoice("checkin", "Check-in (works the door)"),
    SelectChoice("admin", "Admin (runs events)"),
]


class InviteForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Enter the person's email address."), Length(max=254), plain_text],
    )
    # Printed on check-in records and in emails: one line, no invisible characters.
    name = StringField("Name", filters=[single_line], validators=[Length(max=200), plain_text])
    role = SelectField(
        "Role", choices=ROLE_CHOICES, default="checkin", validators=[DataRequired("Choose a role.")]
    )
    submit = SubmitField("Send invitation")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired("Choose a role.")])
    submit = SubmitField("Set role")


def _password(label: str, autocomplete: str, message: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(message), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": autocomplete},
    )


class SetPasswordForm(FlaskForm):
    password = _password("New password", "new-password", "Choose a password.")
    confirm = _password("New password again", "new-password", "Type the password again.")
    submit = SubmitField("Save password")


class ChangePasswordForm(FlaskForm):
    current = _password("Current password", "current-password", "Enter your current password.")
    password = _password("New password", "new-password", "Choose a new password.")
    confirm = _password("New password again", "new-password", "Type the new password again.")
    submit = SubmitField("Change password")

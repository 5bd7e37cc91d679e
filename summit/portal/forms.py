"""Portal forms. Every one is a FlaskForm, so every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from summit.forms import ContactForm, strip
from summit.models import Person
from summit.registration.fields import normalise_phone

DETAIL_FIELDS = ("first_name", "last_name", "phone", "agency", "job_title")


class LinkRequestForm(FlaskForm):
    """Ask for a fresh portal link. The email is not validated beyond its length:
    the answer must not reveal anything, not even whether the address was well formed."""

    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Enter the email address you registered with."), Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    submit = SubmitField("Email me a link")


class DetailsForm(ContactForm):
    """The contact details an attendee may correct themselves (never the email)."""

    submit = SubmitField("Save my details")

    @classmethod
    def for_person(cls, person: Person) -> DetailsForm:
        """Pre-filled with the stored values on GET; the posted ones win on POST."""
        return cls(data={name: getattr(person, name) for name in DETAIL_FIELDS})

    def validate_phone(self, field) -> None:
        """Check only: the page shows the number as typed until it is saved."""
        try:
            normalise_phone(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def details(self) -> dict[str, str]:
        """The validated values, the phone in its one stored spelling."""
        values = {name: getattr(self, name).data for name in DETAIL_FIELDS}
        values["phone"] = normalise_phone(values["phone"])
        return values


class ConfirmForm(FlaskForm):
    """A button alone (cancel, accept an offer): the CSRF token is the whole point."""

    submit = SubmitField("Confirm")

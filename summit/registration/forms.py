"""The registration form: short, forgiving about formatting, strict about content."""

from __future__ import annotations

from wtforms import EmailField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from summit.forms import ContactForm, plain_text, single_line, strip
from summit.models import Event
from summit.registration.fields import normalise_email, normalise_phone


class CleanEmailAndPhone:
    """An email and a phone checked and written one way, wherever a person's are typed:
    the public form, the desk's walk-in, staff correcting a registration."""

    def validate_email(self, field) -> None:
        try:
            field.data = normalise_email(field.data or "")
        except ValueError as error:
            raise ValidationError(f"Enter a valid email address. {error}") from None

    def validate_phone(self, field) -> None:
        try:
            field.data = normalise_phone(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


class EventSignUp(CleanEmailAndPhone):
    """What the public form and the desk's walk-in share: the event's open tiers to
    choose from, and the email and phone cleaning."""

    tier: SelectField  # a RadioField on the public form

    def __init__(self, event: Event, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tier.choices = [
            (tier.slug, tier.name_with_price) for tier in event.tiers if tier.is_open
        ]


class RegistrationForm(EventSignUp, ContactForm):
    # The order of the page (the contact fields are declared first, in ContactForm),
    # so the list of problems above the form reads top to bottom like the form.
    field_order = (
        "tier",
        "first_name",
        "last_name",
        "email",
        "phone",
        "agency",
        "job_title",
        "school_district",
        "accommodations",
    )

    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Enter your email address."), Length(max=254), plain_text],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    tier = RadioField("Registration type", validators=[DataRequired("Choose a registration type.")])
    school_district = StringField(
        "School district(s) served",
        filters=[single_line],
        validators=[
            DataRequired("Enter the school district(s) you serve."),
            Length(max=300),
            plain_text,
        ],
    )
    accommodations = TextAreaField(
        "Accessibility or dietary needs",
        filters=[strip],
        validators=[Optional(), Length(max=2000), plain_text],
    )
    submit = SubmitField("Register")


# What the registration link may fill in from its query string: every field of the form.
PREFILL_FIELDS = RegistrationForm.field_order

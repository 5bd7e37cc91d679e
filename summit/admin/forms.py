"""Staff action forms for one registration. Each is a FlaskForm: every POST carries CSRF.

Each form has its own prefix so that several can sit on one page with unique ids.
"""

from __future__ import annotations

from typing import Any, Self

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, Optional

from summit.admin.services import PERSON_DETAILS, REGISTRATION_DETAILS
from summit.forms import ContactForm, plain_text, strip
from summit.models import Registration, Tier
from summit.payments.forms import check_amount
from summit.payments.money import format_cents, parse_cents
from summit.registration.forms import CleanEmailAndPhone, RegistrationForm

MANUAL_METHOD_CHOICES = [
    SelectChoice("check", "Check"),
    SelectChoice("invoice", "Purchase order / invoice payment"),
]


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)", filters=[strip], validators=[Optional(), Length(max=500), plain_text]
    )


class PaymentForm(FlaskForm):
    """Money received by check or against an invoice; less than the balance is a part payment."""

    amount = StringField(
        "Amount received (USD)",
        filters=[strip],
        validators=[DataRequired("Enter the amount received.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    method = SelectField("Paid by", choices=MANUAL_METHOD_CHOICES)
    reference = StringField(
        "Reference (check or PO number)",
        filters=[strip],
        validators=[Optional(), Length(max=200), plain_text],
        render_kw={"autocomplete": "off"},
    )
    note = TextAreaField(
        "Note", filters=[strip], validators=[Optional(), Length(max=500), plain_text]
    )

    def validate_amount(self, field) -> None:
        check_amount(field)

    @property
    def amount_cents(self) -> int:
        return parse_cents(self.amount.data)

    def prefill(self, due_cents: int) -> PaymentForm:
        """Offer the balance as the default amount: the common case is "paid in full"."""
        if not self.is_submitted():
            self.amount.data = format_cents(due_cents).lstrip("$")
        return self


def may_be_blank(field: UnboundField) -> UnboundField:
    """The public form's field with its "required" rule dropped and every cleaner kept.

    A walk-in gives only a name and an email: staff correcting the name must not have
    to invent a phone, an agency or a job title to save it. What is typed is checked
    exactly as on the public form (one line, no links, no control characters).
    """
    kept = [
        rule for rule in field.kwargs.get("validators", ()) if not isinstance(rule, DataRequired)
    ]
    return UnboundField(
        field.field_class, *field.args, **{**field.kwargs, "validators": [Optional(), *kept]}
    )


class RegistrationDetailsForm(CleanEmailAndPhone, FlaskForm):
    """Staff correct a person's details: the registration form's own fields and cleaners."""

    first_name = ContactForm.first_name
    last_name = ContactForm.last_name
    email = RegistrationForm.email
    phone = may_be_blank(ContactForm.phone)
    agency = may_be_blank(ContactForm.agency)
    job_title = may_be_blank(ContactForm.job_title)
    school_district = may_be_blank(RegistrationForm.school_district)
    accommodations = RegistrationForm.accommodations

    @classmethod
    def for_registration(cls, registration: Registration, **kwargs: Any) -> Self:
        """Filled with the stored values; a posted form keeps what was typed."""
        person = registration.person
        stored = {name: getattr(person, name) for name in PERSON_DETAILS}
        stored.update({name: getattr(registration, name) for name in REGISTRATION_DETAILS})
        return cls(data=stored, **kwargs)

    def details(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in (*PERSON_DETAILS, *REGISTRATION_DETAILS)}


class MoveTierForm(FlaskForm):
    """Another tier of the same event; the list says what each would mean."""

    tier = SelectField("New tier", coerce=int, validators=[DataRequired("Choose a tier.")])

    def __init__(self, registration: Registration, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tier.choices = [
            SelectChoice(tier.id, _tier_choice_label(tier))
            for tier in registration.event.tiers
            if tier.id != registration.tier_id
        ]


def _tier_choice_label(tier: Tier) -> str:
    facts = [tier.price_label]
    if tier.requires_approval:
        facts.append("needs approval")
    if not tier.is_open:
        facts.append("closed to new registrations")
    return f"{tier.name} ({', '.join(facts)})"

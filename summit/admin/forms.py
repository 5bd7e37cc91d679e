"""Staff action forms for one registration. Each is a FlaskForm: every POST carries CSRF.

Each form has its own prefix so that several can sit on one page with unique ids.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from summit.forms import plain_text, strip
from summit.payments.forms import check_amount
from summit.payments.money import format_cents, parse_cents

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

"""The event, tier, agenda, clone and email-text forms: they read what staff type into
plain values.

Format only (a date, a number, an email); the rules that compare values with each
other or with stored data live in the services, which name the field to show
their message beside.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from summit.events.agenda import SessionDetails
from summit.events.services import FIRST_YEAR, LAST_YEAR, YEAR_RULE, EventDetails
from summit.events.tiers import TierDetails
from summit.forms import plain_text, single_line, strip
from summit.mail.texts import BODY_MAX, SUBJECT_MAX
from summit.models.event import TIME_ZONES
from summit.payments.money import parse_cents

MAX_CAPACITY = 100_000
MAX_PRICE_CENTS = 10_000_000  # $100,000: beyond any summit's fee, so a typo is caught
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def reasonable_year(form, field) -> None:
    """A year like 20288 is a typo; refusing it here also keeps time-zone arithmetic in range."""
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(YEAR_RULE)


def _text(label: str, max_length: int, *, required: str | None = None, **kwargs):
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(
        label,
        filters=[strip],
        validators=[*validators, Length(max=max_length), plain_text],
        **kwargs,
    )


def _capacity(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(0, MAX_CAPACITY, "Give a number of seats from 0 to 100,000."),
        ],
    )


class EventForm(FlaskForm):
    """Title, address, dates, venue, registration window, capacity, curriculum, contact."""

    STORED = (
        "name", "slug", "starts_on", "ends_on", "timezone", "venue_name", "venue_address",
        "description", "capacity", "curriculum_id", "contact_email", "confirm_on_purchase_order",
    )  # fmt: skip

    name = _text("Title", 200, required="Give the event a title.")
    slug = _text("Web address (slug)", 80, required="Give the event a web address, e.g. s5-2028.")
    starts_on = DateField(
        "First day", validators=[InputRequired("Give the first day."), reasonable_year]
    )
    ends_on = DateField(
        "Last day", validators=[InputRequired("Give the last day."), reasonable_year]
    )
    timezone = SelectField("Time zone")
    venue_name = _text("Venue", 200)
    venue_address = _text("Venue address", 300)
    description = TextAreaField(
        "Description", filters=[strip], validators=[Optional(), Length(max=5000), plain_text]
    )
    registration_opens_at = DateTimeLocalField(
        "Registration opens", format=LOCAL_MINUTE, validators=[Optional(), reasonable_year]
    )
    registration_closes_at = DateTimeLocalField(
        "Registration closes", format=LOCAL_MINUTE, validators=[Optional(), reasonable_year]
    )
    capacity = _capacity("Overall capacity (seats)")
    curriculum_id = SelectField("Curriculum taught", coerce=int)
    required_minutes = IntegerField(
        "Minutes of sessions that complete a subject",
        validators=[InputRequired("Give a number of minutes."), NumberRange(1, 600)],
    )
    contact_email = EmailField(
        "Contact email",
        filters=[strip],
        validators=[Optional(), Length(max=254), Email("Enter an email address."), plain_text],
    )

    confirm_on_purchase_order = BooleanField(
        "A purchase-order number confirms a fee-tier registration (the district pays later)"
    )

    def __init__(self, *args, curricula=(), stored_zone: str | None = None, **kwargs) -> None:
        """``stored_zone``: the event's zone, offered even when not in the usual list."""
        super().__init__(*args, **kwargs)
        self.curriculum_id.choices = [SelectChoice(c.id, c.name) for c in curricula]
        zones = [SelectChoice(value, label) for value, label in TIME_ZONES]
        known = {value for value, _label in TIME_ZONES}
        if stored_zone and stored_zone not in known:
            zones.append(SelectChoice(stored_zone, stored_zone))
        self.timezone.choices = zones

    def details(self) -> EventDetails:
        tz = ZoneInfo(self.timezone.data)
        return EventDetails(
            name=self.name.data,
            slug=self.slug.data,
            description=self.description.data or "",
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            timezone=self.timezone.data,
            venue_name=self.venue_name.data or "",
            venue_address=self.venue_address.data or "",
            registration_opens_at=_utc(self.registration_opens_at.data, tz),
            registration_closes_at=_utc(self.registration_closes_at.data, tz),
            capacity=self.capacity.data,
            curriculum_id=self.curriculum_id.data,
            required_minutes=self.required_minutes.data,
            contact_email=self.contact_email.data or "",
            confirm_on_purchase_order=bool(self.confirm_on_purchase_order.data),
        )

    @classmethod
    def local_window(cls, event) -> dict[str, datetime | None]:
        """The stored window as the event's wall-clock times, to fill the form."""
        return {
            name: getattr(event, name).astimezone(event.tz).replace(tzinfo=None)
            if getattr(event, name)
            else None
            for name in ("registration_opens_at", "registration_closes_at")
        }


def _optional_int(value) -> int | None:
    """A select's value as a topic id; blank (no subject) is None, junk is -1 (unknown)."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _utc(local: datetime | None, tz: ZoneInfo) -> datetime | None:
    return local.replace(tzinfo=tz).astimezone(UTC) if local else None


class TierForm(FlaskForm):
    """One way to register: name, link name, price, seats, approval, eligibility, open."""

    name = _text("Name", 200, required="Give the tier a name.")
    slug = _text(
        "Link name",
        80,
        required="Give the tier a link name, e.g. sro.",
        render_kw={"autocomplete": "off"},
    )
    price = StringField(
        "Price (USD, 0 for free)",
        filters=[strip],
        validators=[InputRequired("Give a price; 0 makes the tier free.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    capacity = _capacity("Capacity (seats; empty for no limit of its own)")
    requires_approval = BooleanField("Staff approve each registration")
    eligibility = TextAreaField(
        "Who may choose it", filters=[strip], validators=[Optional(), Length(max=2000), plain_text]
    )
    is_open = BooleanField("Open for registration", default=True)

    def validate_price(self, field) -> None:
        if (field.data or "").lstrip("$ ").startswith("-"):
            raise ValidationError("A price cannot be negative.")
        try:
            cents = parse_cents(field.data or "")
        except ValueError:
            raise ValidationError("Enter a price in dollars, like 50 or 50.00.") from None
        if cents > MAX_PRICE_CENTS:
            raise ValidationError("Enter a price of at most $100,000.")

    def details(self) -> TierDetails:
        return TierDetails(
            name=self.name.data,
            slug=self.slug.data,
            price_cents=parse_cents(self.price.data),
            capacity=self.capacity.data,
            requires_approval=self.requires_approval.data,
            eligibility=self.eligibility.data or "",
            is_open=self.is_open.data,
        )


class CloneForm(FlaskForm):
    """Next year's title and address; everything else is copied and moved 52 weeks on."""

    name = _text("Title of the new event", 200, required="Give the new event a title.")
    slug = _text("Web address of the new event", 80, required="Give the new event a web address.")


def _unix_newlines(value):
    """Browsers send a textarea's line breaks as CRLF; the email text keeps plain ``\n``."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class EmailTextForm(FlaskForm):
    """An email's subject and body as staff type them, placeholders and all.

    Which placeholders a text may use is the service's rule (it knows the email);
    ``action`` says whether the button pressed was *Preview* or *Save*.
    """

    subject = StringField(
        "Subject",
        filters=[single_line],
        validators=[
            DataRequired("Give the email a subject."),
            Length(max=SUBJECT_MAX, message=f"At most {SUBJECT_MAX} characters."),
            plain_text,
        ],
    )
    body = TextAreaField(
        "Text",
        filters=[_unix_newlines, strip],
        validators=[
            DataRequired("Write the text of the email."),
            Length(max=BODY_MAX, message=f"At most {BODY_MAX:,} characters."),
            plain_text,
        ],
        render_kw={"rows": 14, "spellcheck": "true"},
    )

    @property
    def wants_preview(self) -> bool:
        return request.form.get("action") == "preview"


class SubjectRow(Form):
    """One subject a session teaches and its minutes (a blank row is ignored).

    The choice is not checked against the list here: the service refuses a subject
    outside the event's curriculum with a message, not WTForms' "Not a valid choice".
    """

    topic_id = SelectField("Subject", coerce=_optional_int, validate_choice=False)
    minutes = IntegerField(
        "Minutes", validators=[Optional()], render_kw={"inputmode": "numeric", "min": "1"}
    )


SUBJECT_ROWS_SPARE = 2


class SessionForm(FlaskForm):
    """A session: title, room, speakers, start and end (event's zone), subjects taught."""

    title = _text("Title", 200, required="Give the session a title.")
    room = _text("Room", 120, render_kw={"list": "room-names", "autocomplete": "off"})
    speakers = _text("Speaker(s)", 300)
    starts_at = DateTimeLocalField(
        "Starts", format=LOCAL_MINUTE, validators=[Optional(), reasonable_year]
    )
    ends_at = DateTimeLocalField(
        "Ends", format=LOCAL_MINUTE, validators=[Optional(), reasonable_year]
    )
    subjects = FieldList(FormField(SubjectRow), min_entries=1, max_entries=40)

    def __init__(self, *args, topics=(), **kwargs) -> None:
        """``topics``: the curriculum's items as (topic id, title) pairs, for each row."""
        super().__init__(*args, **kwargs)
        if ("formdata" in kwargs and kwargs["formdata"] is None) or not self.is_submitted():
            filled = sum(1 for row in self.subjects if row.form.topic_id.data is not None)
            while len(self.subjects) < filled + SUBJECT_ROWS_SPARE:
                self.subjects.append_entry()
        choices = [SelectChoice("", "— none —"), *(SelectChoice(i, t) for i, t in topics)]
        for row in self.subjects:
            row.form.topic_id.choices = choices

    def validate(self, extra_validators=None) -> bool:
        """Row errors are summed up in one message beside the subjects (kept as strings)."""
        valid = super().validate(extra_validators)
        self.subjects.errors = [e for e in self.subjects.errors if isinstance(e, str)]
        return valid

    def validate_subjects(self, field) -> None:
        for row in field:
            if row.form.minutes.errors:
                raise ValidationError("Give minutes as a whole number, like 45.")
            minutes, topic = row.form.minutes.data, row.form.topic_id.data
            if minutes is not None and minutes < 0:
                raise ValidationError("Minutes cannot be negative.")
            if minutes is not None and topic is None:
                raise ValidationError("Choose the subject these minutes teach.")
            if topic is not None and minutes is None:
                raise ValidationError("Give the minutes of each subject chosen.")

    def details(self, tz: ZoneInfo) -> SessionDetails:
        subjects = tuple(
            (row.form.topic_id.data, row.form.minutes.data)
            for row in self.subjects
            if row.form.topic_id.data is not None
        )
        return SessionDetails(
            title=self.title.data,
            room=self.room.data or "",
            speakers=self.speakers.data or "",
            starts_at=_utc(self.starts_at.data, tz),
            ends_at=_utc(self.ends_at.data, tz),
            subjects=subjects,
        )

    @staticmethod
    def stored(session, tz: ZoneInfo) -> dict[str, object]:
        """A stored session as the form's data, times on the event's wall clock."""
        return {
            "title": session.title,
            "room": session.room,
            "speakers": session.speakers,
            "starts_at": session.starts_at.astimezone(tz).replace(tzinfo=None),
            "ends_at": session.ends_at.astimezone(tz).replace(tzinfo=None),
            "subjects": [{"topic_id": t.topic_id, "minutes": t.minutes} for t in session.topics],
        }


class RoomForm(FlaskForm):
    """A room of the venue: its name (as sessions will give it) and its seats."""

    name = _text("Room", 120, required="Give the room a name.")
    capacity = _capacity("Seats (empty if not known)")

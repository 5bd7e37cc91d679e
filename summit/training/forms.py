"""Forms of self-training, review, prior training and experience, shares and the
resources editor (all CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from summit.forms import ContactForm, no_links, plain_text, single_line, strip
from summit.models import ROLE_TYPES
from summit.registration.fields import normalise_email
from summit.training import share_days
from summit.training.resources import FORMATS
from summit.training.services import KIND_LABELS, ROLE_LABELS
from summit.urls import parse_id

# Far more places than a resources page needs, and well inside the database's integer,
# whose overflow (2**31 on PostgreSQL) was a 500.
POSITION_LIMIT = 10**6


def _topic_id(value):
    """The topic select's value: ``""`` → None (no topic); a possible topic id → int.

    Anything else (``abc``, ``-1``, 2**63) stays a string, which :func:`chosen_topic`
    refuses before any database lookup.
    """
    if value == "None":
        return None
    try:
        # A larger id cannot name a topic; looking one up raised a 500 instead of a message.
        return parse_id(value)
    except ValueError:
        return value


def chosen_topic(message: str):
    """Refuse a topic that is neither "none" nor a possible topic id (``abc``, ``-1``, 2**63).

    Without this a junk value either reached the database as a number too big for
    it or, read as "no topic", silently became a general resource.
    """

    def check(form, field) -> None:
        if field.data is not None and not isinstance(field.data, int):
            raise ValidationError(message)

    return check


def sent(message: str):
    """Refuse a post that leaves the field out altogether (an empty field is still sent).

    Saving such a post would blank what is stored; refusing says nothing was changed.
    """

    def check(form, field) -> None:
        if not field.raw_data:
            raise StopValidation(message)

    return check


class StartForm(FlaskForm):
    """Ask for a start link. The address is checked for form only: we mail any address,
    so saying it is malformed reveals nothing about who is known."""

    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Enter your email address."), Length(max=254), plain_text],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )

    def validate_email(self, field) -> None:
        try:
            field.data = normalise_email(field.data or "")
        except ValueError as error:
            raise ValidationError(f"Enter a valid email address. {error}") from None


class StartDetailsForm(ContactForm):
    """Who keeps the record: the name goes on the record and on its documentation.

    The registration form's contact fields without the phone, and the job title optional.
    """

    phone = None
    job_title = StringField(
        "Job title",
        filters=[single_line],
        validators=[Optional(), Length(max=200), no_links],
        render_kw={"autocomplete": "organization-title"},
    )
    role_type = SelectField(
        "Your role", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLE_TYPES]
    )


class EntryForm(FlaskForm):
    kind = SelectField(
        "Kind of training",
        choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
        default="topic",
    )
    topic_id = SelectField(
        "Topic",
        coerce=_topic_id,
        validate_choice=False,
        validators=[chosen_topic("Choose the topic this training covered.")],
    )
    completed_on = DateField(
        "Date completed",
        validators=[InputRequired("Enter the date you completed the training.")],
        format="%Y-%m-%d",
    )
    title = StringField(
        "Title of the training",
        filters=[strip],
        validators=[DataRequired("Enter the title of the training."), Length(max=200), plain_text],
    )
    url = URLField(
        "Link to the training",
        filters=[strip],
        validators=[Optional(), Length(max=500), plain_text],
        render_kw={"inputmode": "url", "placeholder": "https://"},
    )
    minutes = IntegerField(
        "Minutes of training",
        validators=[
            InputRequired("Enter the minutes of training."),
            NumberRange(min=1, max=7 * 24 * 60, message="Enter a whole number more than zero."),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    experienced_staff = StringField(
        "Experienced staff member who trained you",
        filters=[strip],
        validators=[Optional(), Length(max=200), plain_text],
    )
    school = StringField(
        "School of the experienced staff member",
        filters=[strip],
        validators=[Optional(), Length(max=200), plain_text],
    )
    note = TextAreaField(
        "Note", filters=[strip], validators=[Optional(), Length(max=2000), plain_text]
    )
    evidence = FileField("Evidence (certificate or screenshot)")
    remove_evidence = BooleanField("Remove the current evidence file")

    def with_topics(self, topics) -> EntryForm:
        self.topic_id.choices = [SelectChoice("", "— not a classroom topic —")] + [
            SelectChoice(topic.topic_id, topic.title) for topic in topics
        ]
        return self


class TrainingPolicyForm(FlaskForm):
    """The ESD's self-training policy; the bounds match the event credit policy."""

    required_minutes = IntegerField(
        "Minutes of self-training that complete a subject",
        validators=[InputRequired("Give a number of minutes."), NumberRange(1, 600)],
    )


class ReviewForm(FlaskForm):
    comment = TextAreaField(
        "Comment to the person",
        filters=[strip],
        validators=[Optional(), Length(max=2000), plain_text],
    )


class AssignmentForm(FlaskForm):
    started_on = DateField(
        "Date you started this assignment", validators=[Optional()], format="%Y-%m-%d"
    )
    role_type = SelectField(
        "Your role", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLE_TYPES]
    )


class PriorExperienceForm(FlaskForm):
    reviewed = TextAreaField(
        "What you reviewed",
        filters=[strip],
        validators=[DataRequired("Say what you reviewed."), Length(max=2000), plain_text],
    )
    files = MultipleFileField(
        "Files you reviewed (PDF, PNG or JPEG)",
        validators=[FileRequired("Attach what you reviewed: at least one PDF, PNG or JPEG file.")],
    )
    reason = TextAreaField(
        "Why the prior training and experience is significant",
        filters=[strip],
        validators=[
            DataRequired("Say why the prior training and experience is significant."),
            Length(max=2000),
            plain_text,
        ],
    )


class ShareForm(FlaskForm):
    label = StringField(
        "Who is this link for?",
        filters=[strip],
        validators=[Optional(), Length(max=200), plain_text],
        render_kw={"placeholder": "e.g. Yakima School District"},
    )
    days = IntegerField(
        "Days the link works",
        default=share_days,  # RECORD_SHARE_DAYS, read when the form is made
        validators=[
            InputRequired("Enter how many days the link should work."),
            NumberRange(min=1, max=365, message="From 1 to 365 days."),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": 365},
    )


class ResourceForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired("Enter a title."), Length(max=200), plain_text],
    )
    url = URLField(
        "Web address",
        filters=[strip],
        validators=[DataRequired("Enter the web address."), Length(max=500), plain_text],
        render_kw={"inputmode": "url", "placeholder": "https://"},
    )
    provider = StringField(
        "Provider", filters=[strip], validators=[Optional(), Length(max=200), plain_text]
    )
    format = SelectField("Format", choices=[SelectChoice(f, f.capitalize()) for f in FORMATS])
    approx_minutes = IntegerField(
        "Approximate minutes",
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message="Enter a whole number more than zero."),
        ],
    )
    topic_id = SelectField(
        "Topic",
        coerce=_topic_id,
        validate_choice=False,
        validators=[chosen_topic("Choose a topic from the list.")],
    )
    position = IntegerField(
        "Order on the page",
        default=0,
        validators=[
            Optional(),
            NumberRange(
                min=-POSITION_LIMIT,
                max=POSITION_LIMIT,
                message=f"Enter a whole number from -{POSITION_LIMIT:,} to {POSITION_LIMIT:,}.",
            ),
        ],
    )
    is_active = BooleanField("Shown on the resources page", default=True)
    checked = BooleanField("I opened the link just now and it works")

    def with_topics(self, topics) -> ResourceForm:
        self.topic_id.choices = [SelectChoice("", "General (every topic)")] + [
            SelectChoice(t.topic_id, t.title) for t in topics
        ]
        return self


class SummaryForm(FlaskForm):
    summary = TextAreaField(
        "Short description",
        filters=[strip],
        validators=[
            sent("The description was not sent, so nothing was changed."),
            Optional(),
            Length(max=1000),
            plain_text,
        ],
    )

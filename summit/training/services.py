"""Self-training entries, their review, the assignment start date, and significant
prior training and experience.

Each function applies the rules, writes, audits, queues mail and commits once.
Views pass plain values and turn :class:`TrainingError` into messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from summit import audit
from summit.auth.attendees import attendee_actor
from summit.clock import today_local
from summit.extensions import db
from summit.mail import queue_person_email
from summit.models import (
    ENTRY_KINDS,
    ROLE_TYPES,
    Person,
    PriorExperience,
    PriorExperienceFile,
    SelfTrainingEntry,
    StaffUser,
    Topic,
    TrainingEntryStatus,
    utcnow,
)
from summit.search import contains
from summit.training import evidence as evidence_files
from summit.training.errors import NotEditable, TrainingError
from summit.training.resources import check_url
from summit.transactions import write_transaction

EARLIEST_DATE = date(2019, 1, 1)
MAX_ENTRY_MINUTES = 7 * 24 * 60
MAX_PRIOR_EXPERIENCE_FILES = 10
KIND_LABELS = {
    "topic": "Classroom topic",
    "on_the_job": "Day of on-the-job training",
    "check_in_training": "Check-in training",
}
ROLE_LABELS = {
    "sro": "School resource officer (commissioned officer)",
    "security": "School security officer",
    "other": "Other school safety and security staff",
}


@dataclass(frozen=True)
class EntryData:
    """What a person says they did; checked by :func:`check_entry`."""

    kind: str
    topic_id: int | None
    completed_on: date | None
    title: str
    url: str
    minutes: int | None
    note: str = ""
    experienced_staff: str = ""
    school: str = ""


def check_entry(data: EntryData, *, today: date | None = None) -> EntryData:
    """The entry's rules, in one place: kind, topic, date window, minutes, link, and who
    trained the person where (RCW 28A.400.345(2)(c) and (d) name both)."""
    today = today or today_local()
    if data.kind not in ENTRY_KINDS:
        raise TrainingError("Choose what kind of training this was.", field="kind")
    topic_id = data.topic_id if data.kind == "topic" else None
    if data.kind == "topic" and (topic_id is None or db.session.get(Topic, topic_id) is None):
        raise TrainingError("Choose the topic this training covered.", field="topic_id")
    if data.completed_on is None:
        raise TrainingError("Enter the date you completed the training.", "completed_on")
    if data.completed_on > today:
        raise TrainingError("The date completed cannot be in the future.", "completed_on")
    if data.completed_on < EARLIEST_DATE:
        raise TrainingError("The date completed cannot be before January 1, 2019.", "completed_on")
    if not data.title:
        raise TrainingError("Enter the title of the training.", field="title")
    if data.minutes is None or not 0 < data.minutes <= MAX_ENTRY_MINUTES:
        raise TrainingError(
            "Enter the minutes of training, a whole number more than zero.", "minutes"
        )
    url = data.url.strip()
    if url:
        url = check_url(url)
    elif data.kind == "topic":
        raise TrainingError("Enter the web address (link) of the training.", field="url")
    staff_member = data.experienced_staff.strip() if data.kind != "topic" else ""
    school = data.school.strip() if data.kind == "on_the_job" else ""
    if data.kind != "topic" and not staff_member:
        raise TrainingError(
            "Enter the name of the experienced safety and security staff member who trained you.",
            field="experienced_staff",
        )
    if data.kind == "on_the_job" and not school:
        raise TrainingError(
            "Enter the school of the experienced staff member, where the training took place.",
            field="school",
        )
    return EntryData(
        data.kind,
        topic_id,
        data.completed_on,
        data.title,
        url,
        data.minutes,
        data.note,
        staff_member,
        school,
    )


def _snapshot(entry: SelfTrainingEntry) -> dict:
    return {
        "kind": entry.kind,
        "topic_id": entry.topic_id,
        "completed_on": entry.completed_on.isoformat() if entry.completed_on else None,
        "title": entry.title,
        "url": entry.url,
        "minutes": entry.minutes,
        "experienced_staff": entry.experienced_staff,
        "school": entry.school,
        "status": entry.status,
        "evidence": bool(entry.evidence_path),
    }


@contextmanager
def _committed_or_files_removed(stored: list[str]) -> Iterator[None]:
    """Write the block in one write transaction; if anything fails (it is rolled back),
    delete the files it stored, so no evidence file outlives the row that names it."""
    try:
        with write_transaction():
            yield
    except Exception:
        for path in stored:
            evidence_files.remove(path)
        raise


def add_entry(
    person: Person,
    data: EntryData,
    *,
    evidence: evidence_files.Evidence | None = None,
    today: date | None = None,
) -> SelfTrainingEntry:
    """Log a training; the file is written only once every rule has passed."""
    data = check_entry(data, today=today)
    stored = evidence_files.store(person.id, evidence) if evidence is not None else None
    with _committed_or_files_removed([stored] if stored else []):
        entry = SelfTrainingEntry(person=person, status=TrainingEntryStatus.SUBMITTED)
        _apply(entry, data)
        if stored is not None and evidence is not None:
            _attach(entry, stored, evidence)
        db.session.add(entry)
        db.session.flush()
        audit.record(
            "self_training.create", entry, after=_snapshot(entry), actor=attendee_actor(person)
        )
    return entry


def update_entry(
    entry: SelfTrainingEntry,
    person: Person,
    data: EntryData,
    *,
    evidence: evidence_files.Evidence | None = None,
    remove_evidence: bool = False,
    today: date | None = None,
) -> SelfTrainingEntry:
    """Change an entry that has not been reviewed yet."""
    _own_and_unreviewed(entry, person, "changed")
    data = check_entry(data, today=today)
    before = _snapshot(entry)
    old_file = entry.evidence_path
    stored = evidence_files.store(person.id, evidence) if evidence is not None else None
    with _committed_or_files_removed([stored] if stored else []):
        _apply(entry, data)
        if stored is not None and evidence is not None:
            _attach(entry, stored, evidence)
        elif remove_evidence:
            entry.evidence_path = entry.evidence_filename = entry.evidence_content_type = ""
        audit.record(
            "self_training.update",
            entry,
            before=before,
            after=_snapshot(entry),
            actor=attendee_actor(person),
        )
    if old_file and old_file != entry.evidence_path:
        evidence_files.remove(old_file)
    return entry


@write_transaction()
def delete_entry(entry: SelfTrainingEntry, person: Person) -> None:
    """Delete an entry that has not been reviewed; reviewed ones are part of the record."""
    _own_and_unreviewed(entry, person, "deleted")
    stored = entry.evidence_path
    audit.record(
        "self_training.delete", entry, before=_snapshot(entry), actor=attendee_actor(person)
    )
    db.session.delete(entry)
    evidence_files.remove(stored)


def _own_and_unreviewed(entry: SelfTrainingEntry, person: Person, verb: str) -> None:
    if entry.person_id != person.id:
        raise TrainingError("This entry is not yours.")
    if not entry.status.awaits_review:
        raise NotEditable(
            f"This entry has been reviewed ({entry.status.label.lower()}) and "
            f"can no longer be {verb}. Add a new entry instead."
        )


def _apply(entry: SelfTrainingEntry, data: EntryData) -> None:
    entry.kind = data.kind
    entry.topic_id = data.topic_id
    entry.completed_on = data.completed_on
    entry.title = data.title
    entry.url = data.url
    entry.minutes = data.minutes
    entry.note = data.note
    entry.experienced_staff = data.experienced_staff
    entry.school = data.school


def _attach(entry: SelfTrainingEntry, stored: str, evidence: evidence_files.Evidence) -> None:
    entry.evidence_path = stored
    entry.evidence_filename = evidence.filename
    entry.evidence_content_type = evidence.content_type


def entries_of(person: Person) -> list[SelfTrainingEntry]:
    return list(
        db.session.scalars(
            select(SelfTrainingEntry)
            .where(SelfTrainingEntry.person_id == person.id)
            .order_by(SelfTrainingEntry.completed_on.desc(), SelfTrainingEntry.id.desc())
        )
    )


def entry_of(person: Person, entry_id: int) -> SelfTrainingEntry | None:
    entry = db.session.get(SelfTrainingEntry, entry_id)
    return entry if entry is not None and entry.person_id == person.id else None


def find_people(query: str, *, limit: int = 50) -> list[Person]:
    """People whose name, email or agency contains ``query`` (any case), by name."""
    return list(
        db.session.scalars(
            select(Person)
            .where(
                or_(
                    contains(Person.first_name + " " + Person.last_name, query),
                    contains(Person.email, query),
                    contains(Person.agency, query),
                )
            )
            .order_by(Person.last_name, Person.first_name)
            .limit(limit)
        )
    )


def prior_experience_of(person: Person) -> list[PriorExperience]:
    """Every record of significant prior training and experience, newest first."""
    return list(
        db.session.scalars(
            select(PriorExperience)
            .where(PriorExperience.person_id == person.id)
            .order_by(PriorExperience.created_at.desc(), PriorExperience.id.desc())
        )
    )


# --- review ------------------------------------------------------------------------------


def review_queue() -> list[SelfTrainingEntry]:
    """Entries waiting for review, oldest first."""
    return list(
        db.session.scalars(
            select(SelfTrainingEntry)
            .where(SelfTrainingEntry.status == TrainingEntryStatus.SUBMITTED)
            .order_by(SelfTrainingEntry.created_at, SelfTrainingEntry.id)
        )
    )


@write_transaction()
def review_entry(
    entry: SelfTrainingEntry, *, staff: StaffUser, accept: bool, comment: str = ""
) -> SelfTrainingEntry:
    """Accept an entry (it then counts) or return it with a comment; the person is emailed."""
    if not entry.status.awaits_review:
        raise TrainingError("This entry has already been reviewed.")
    comment = comment.strip()
    if not accept and not comment:
        raise TrainingError("Say why the entry is returned: the person reads this comment.")
    before = _snapshot(entry)
    entry.status = TrainingEntryStatus.ACCEPTED if accept else TrainingEntryStatus.RETURNED
    entry.review_comment = comment
    entry.reviewed_by_id = staff.id
    entry.reviewed_at = utcnow()
    audit.record(
        "self_training.accept" if accept else "self_training.return",
        entry,
        before=before,
        after={**_snapshot(entry), "comment": comment},
        actor=staff,
    )
    queue_person_email(
        entry.person,
        "training_accepted" if accept else "training_returned",
        context={"entry": entry, "kind_label": KIND_LABELS[entry.kind], "comment": comment},
        dedupe_key=f"training-review-{entry.id}",
    )
    return entry


# --- assignment and prior experience -------------------------------------------------------


@write_transaction()
def update_assignment(
    person: Person,
    *,
    started_on: date | None,
    role_type: str,
    actor: StaffUser | str,
    today: date | None = None,
) -> Person:
    """The assignment start date and role that set the RCW 28A.400.345 deadlines."""
    today = today or today_local()
    if role_type not in ROLE_TYPES:
        raise TrainingError("Choose your role.")
    if started_on is not None and started_on > today:
        raise TrainingError("The assignment start date cannot be in the future.")
    if started_on is not None and started_on.year < 1950:
        raise TrainingError("Enter the assignment start date as month/day/year.")
    before = {
        "assignment_started_on": person.assignment_started_on.isoformat()
        if person.assignment_started_on
        else None,
        "role_type": person.role_type,
    }
    person.assignment_started_on = started_on
    person.role_type = role_type
    audit.record(
        "person.assignment",
        person,
        before=before,
        after={
            "assignment_started_on": started_on.isoformat() if started_on else None,
            "role_type": role_type,
        },
        actor=actor,
    )
    return person


def _check_prior_experience(
    reviewed: str, reason: str, files: list[evidence_files.Evidence]
) -> None:
    if not reviewed:
        raise TrainingError(
            "Say what you reviewed: the certificates, records or experience.", field="reviewed"
        )
    if not reason:
        raise TrainingError(
            "Say why the prior training and experience is significant.", field="reason"
        )
    if not files:
        raise TrainingError(
            "Attach what you reviewed: at least one PDF, PNG or JPEG file.", field="files"
        )
    if len(files) > MAX_PRIOR_EXPERIENCE_FILES:
        raise TrainingError(f"Attach at most {MAX_PRIOR_EXPERIENCE_FILES} files.", field="files")


def record_prior_experience(
    person: Person,
    *,
    reviewed: str,
    reason: str,
    files: list[evidence_files.Evidence],
    staff: StaffUser,
) -> PriorExperience:
    """ESD staff's finding of significant prior training and experience (RCW 28A.400.345(3)).

    It is a basis for training series documentation as a whole. Staff say what they
    reviewed, attach it, and say why it is significant; files are written only
    once every rule has passed, and removed again if the write fails.
    """
    reviewed, reason = reviewed.strip(), reason.strip()
    _check_prior_experience(reviewed, reason, files)
    stored: list[str] = []
    with _committed_or_files_removed(stored):
        record = PriorExperience(
            person=person, reviewed=reviewed, reason=reason, recorded_by_id=staff.id
        )
        for upload in files:
            path = evidence_files.store(person.id, upload)
            stored.append(path)
            record.files.append(
                PriorExperienceFile(
                    path=path, filename=upload.filename, content_type=upload.content_type
                )
            )
        db.session.add(record)
        db.session.flush()
        audit.record(
            "prior_experience.record",
            record,
            after={
                "person_id": person.id,
                "reviewed": reviewed,
                "reason": reason,
                "files": [f.filename for f in files],
            },
            actor=staff,
        )
    return record


@write_transaction()
def withdraw_prior_experience(record: PriorExperience, *, staff: StaffUser) -> PriorExperience:
    """Withdraw the finding; it stays on file. Issued documentation is revoked separately."""
    if record.withdrawn_at is not None:
        raise TrainingError("This record of prior training and experience was already withdrawn.")
    record.withdrawn_at = utcnow()
    audit.record(
        "prior_experience.withdraw", record, after={"person_id": record.person_id}, actor=staff
    )
    return record

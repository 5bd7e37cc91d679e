"""Merging two people who are the same person: one record, nothing lost.

People end up twice when they register under an agency address one year and a
personal one the next, or self-train under one address and register under the
other. Staff choose who is kept (the *survivor*); everything of the other person
moves to the survivor in one write transaction, all or nothing, and the other
person's row is deleted:

- registrations, and with them what hangs on a registration: check-ins (so the
  credit), payments, invoices, certificates and outbox rows;
- self-training entries (their evidence files stay where they are stored),
  significant prior training and experience, training series documentation,
  and share links given to districts (a district's link keeps working and now
  shows the whole record).

Rules (one place, :func:`merge_problems`, read by the confirm page and the merge):

- a person is never merged with themselves;
- two live registrations for the same event are refused: staff cancel one first
  (a person holds one seat per event, and the database says so too). When one of
  the two is cancelled (rejected registrations are cancelled), both move: the
  cancelled one is history;
- two valid training series documents for the same curriculum are refused: one
  must be revoked first (at most one valid document per person and curriculum).

Issued certificates keep their serial, verification code and the name printed on
them (the verify page reads that snapshot), so every copy on paper stays valid.
The survivor keeps their own name and email; their empty phone, agency, job title
and assignment date are filled from the other person's.

The removed person's email no longer signs in: a portal link proves one address,
and the survivor's record opens only from the survivor's address, the one staff
chose to keep. Old links and open sessions of the removed person find nobody and
end; asking for a link with the old address gets the answer any unknown address
gets. Audit rows are history and stay as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.extensions import db
from summit.models import (
    Certificate,
    CertificateStatus,
    Checkin,
    Event,
    Person,
    PriorExperience,
    RecordShare,
    Registration,
    SelfTrainingEntry,
    StaffUser,
    TrainingSeriesDocumentation,
)
from summit.transactions import for_update, write_transaction

# The survivor's details that the other person's fill when empty.
FILLED_DETAILS = ("phone", "agency", "job_title", "assignment_started_on")


class MergeRefused(Exception):
    """A rule said no; ``message`` says why and what to do first."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Holdings:
    """Everything that belongs to one person: what the confirm page shows and what moves."""

    registrations: list[Registration]
    certificates: list[Certificate]
    checkins: int
    entries: list[SelfTrainingEntry]
    prior_experience: list[PriorExperience]
    documentation: list[TrainingSeriesDocumentation]
    shares: list[RecordShare]

    def words(self) -> str:
        """``2 registrations, 1 certificate, 3 training entries``: only what there is."""
        counts = (
            (len(self.registrations), "registration", "registrations"),
            (self.checkins, "check-in", "check-ins"),
            (len(self.certificates), "certificate", "certificates"),
            (len(self.entries), "training entry", "training entries"),
            (len(self.prior_experience), "prior experience record", "prior experience records"),
            (len(self.documentation), "training series document", "training series documents"),
            (len(self.shares), "share link", "share links"),
        )
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        return ", ".join(parts) or "nothing"


def _rows(model: Any, person: Person, *order: Any) -> list[Any]:
    statement = select(model).where(model.person_id == person.id)
    return list(db.session.scalars(statement.order_by(*order, model.id)))


def holdings_of(person: Person) -> Holdings:
    """What ``person`` has, registrations by event date, newest first."""
    registrations = list(
        db.session.scalars(
            select(Registration)
            .where(Registration.person_id == person.id)
            .join(Registration.event)
            .order_by(Event.starts_on.desc(), Registration.id)
        )
    )
    ids = [registration.id for registration in registrations]
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.registration_id.in_(ids),
                Certificate.status == CertificateStatus.ISSUED,
            )
            .order_by(Certificate.serial)
        )
    )
    checkins = db.session.scalar(
        select(func.count(Checkin.id)).where(
            Checkin.registration_id.in_(ids), Checkin.annulled_at.is_(None)
        )
    )
    return Holdings(
        registrations=registrations,
        certificates=certificates,
        checkins=checkins or 0,
        entries=_rows(SelfTrainingEntry, person, SelfTrainingEntry.completed_on),
        prior_experience=_rows(PriorExperience, person, PriorExperience.created_at),
        documentation=_rows(
            TrainingSeriesDocumentation, person, TrainingSeriesDocumentation.issued_at
        ),
        shares=_rows(RecordShare, person, RecordShare.created_at),
    )


def described(person: Person) -> str:
    """``Pat Smith <pat@x.example>``: how the history names a person."""
    return f"{person.full_name} <{person.email}>"


def merge_problems(survivor: Person, merged: Person) -> list[str]:
    """Why these two cannot be merged as they stand; empty when they can."""
    if survivor.id == merged.id:
        return ["A person cannot be merged with themselves: choose another person."]
    problems = []
    kept, gone = holdings_of(survivor), holdings_of(merged)
    live = {r.event_id: r for r in kept.registrations if r.state.is_active}
    for registration in gone.registrations:
        twin = live.get(registration.event_id)
        if twin is not None and registration.state.is_active:
            problems.append(
                f"Both are registered for {registration.event.name} "
                f"(#{twin.id}, {twin.state.label}; #{registration.id}, "
                f"{registration.state.label}): cancel one of the two registrations first."
            )
    valid = {d.curriculum_id for d in kept.documentation if d.is_valid}
    for document in gone.documentation:
        if document.is_valid and document.curriculum_id in valid:
            problems.append(
                f"Both hold valid training series documentation for "
                f"{document.curriculum.name}: revoke one of the two first."
            )
    return problems


@dataclass(frozen=True)
class MergeResult:
    survivor: Person
    merged_in: str
    moved: str


def merge_people(survivor_id: int, merged_id: int, *, actor: StaffUser) -> MergeResult:
    """Move everything of person ``merged_id`` to ``survivor_id`` and delete the former.

    Both rows are locked (in id order, so two merges never wait on each other in a
    circle) and the rules read again under the lock. Raises :class:`MergeRefused`
    with nothing changed.
    """
    with write_transaction():
        locked = {
            person.id: person
            for person in db.session.scalars(
                for_update(
                    select(Person)
                    .where(Person.id.in_((survivor_id, merged_id)))
                    .order_by(Person.id)
                )
            )
        }
        survivor, merged = locked.get(survivor_id), locked.get(merged_id)
        if survivor is None or merged is None:  # merged away by someone else meanwhile
            raise MergeRefused("One of the two people no longer exists; open the page again.")
        problems = merge_problems(survivor, merged)
        if problems:
            raise MergeRefused(" ".join(problems))
        moved = holdings_of(merged)
        filled = _fill_details(survivor, merged)
        result = MergeResult(survivor, described(merged), moved.words())
        try:
            _move(moved, survivor)
            _audit(result, merged, filled, actor)
            db.session.delete(merged)
            db.session.flush()
        except IntegrityError as error:  # a rule of the database the checks above missed
            raise MergeRefused(
                "These records changed while merging; open them again and retry."
            ) from error
    return result


def _fill_details(survivor: Person, merged: Person) -> dict[str, tuple[Any, Any]]:
    """Fill the survivor's empty details from the other's; ``{field: (before, after)}``."""
    filled = {}
    for name in FILLED_DETAILS:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if not mine and theirs:
            setattr(survivor, name, theirs)
            filled[name] = (mine, theirs)
    return filled


def _move(holdings: Holdings, survivor: Person) -> None:
    """Point every row of ``holdings`` at the survivor, then write it before the delete."""
    rows = [
        *holdings.registrations,
        *holdings.entries,
        *holdings.prior_experience,
        *holdings.documentation,
        *holdings.shares,
    ]
    for row in rows:
        row.person = survivor
    db.session.flush()


def _audit(
    result: MergeResult, merged: Person, filled: dict[str, tuple[Any, Any]], actor: StaffUser
) -> None:
    """One row on the survivor (with the removed person's details as they were) and one
    per registration the survivor now holds, so whichever registration staff open tells it."""
    after: dict[str, Any] = {
        "merged_in": result.merged_in,
        "moved": result.moved,
        "person_id": merged.id,
    }
    if filled:
        after["details_filled"] = {
            name.replace("_", " "): _plain(new) for name, (_old, new) in filled.items()
        }
    removed = {name: _plain(getattr(merged, name)) for name in ("email", *FILLED_DETAILS)}
    removed["name"] = merged.full_name
    audit.record(
        "person.merge", result.survivor, after={**after, "removed_person": removed}, actor=actor
    )
    for registration in holdings_of(result.survivor).registrations:
        audit.record("registration.merge", registration, after=after, actor=actor)


def _plain(value: Any) -> Any:
    """A value the audit log's JSON can hold (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value

"""Staff accounts managed by admins in the browser: invite, role, disable, reset.

Every change is one ``write_transaction`` with its audit entry. Taking an account
away from someone (disable, reset, a new password) moves its session version, so
every session it had ends at once, copied cookies included (``summit.security``);
disabling also revokes its API tokens. An admin may not disable or demote their
own account: the last admin can then never lock everyone out.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from summit import audit
from summit.auth import recovery
from summit.auth.passwords import password_problem
from summit.auth.services import StaffError, normalise_email
from summit.auth.staff_links import (
    NO_PASSWORD,
    password_url_placeholder,
    staff_for_password_token,
)
from summit.extensions import db
from summit.mail import queue_email
from summit.mail.content import organisation_context
from summit.models import STAFF_ROLES, ApiToken, SignInFailure, StaffUser, utcnow
from summit.staff.errors import AccountError
from summit.transactions import lock_row, write_transaction


def list_staff() -> list[StaffUser]:
    """Every account, active ones first, by email."""
    return list(
        db.session.scalars(select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.email))
    )


def _check_role(role: str) -> None:
    if role not in STAFF_ROLES:
        raise AccountError(f"Choose a role: {', '.join(STAFF_ROLES)}.", "role")


def invite_staff(email: str, role: str, name: str, *, actor: StaffUser) -> StaffUser:
    """A new account with no usable password, and an email with a link to set one."""
    _check_role(role)
    try:
        email = normalise_email(email)
    except StaffError as problem:
        raise AccountError(str(problem), "email") from None
    try:
        return _create_invited(email, role, name, actor)
    except IntegrityError:  # the same address invited twice at the same moment
        raise AccountError(_TAKEN, "email") from None


_TAKEN = "That address already has a staff account (enable or reset it below)."


def _create_invited(email: str, role: str, name: str, actor: StaffUser) -> StaffUser:
    with write_transaction():
        if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
            raise AccountError(_TAKEN, "email")
        staff = StaffUser(
            email=email, name=name.strip()[:200], role=role, password_hash=NO_PASSWORD
        )
        staff.session_version = 0
        db.session.add(staff)
        db.session.flush()
        audit.record("staff.invite", staff, after={"email": email, "role": role}, actor=actor)
        _queue_password_email(staff, "staff_invitation", actor)
    return staff


def _queue_password_email(staff: StaffUser, kind: str, actor: StaffUser) -> None:
    context = {
        "staff": staff,
        "person": {"first_name": staff.name.split(" ")[0] if staff.name else "there"},
        "inviter": actor.display_name,
        "password_link": password_url_placeholder(staff),
        **organisation_context(),
    }
    queue_email(kind, staff.email, context)


def _other_account(staff_id: int, actor: StaffUser, what: str) -> StaffUser:
    """The account, locked, refusing the admin's own (they would lock themselves out).

    The actor's row is locked too (in id order, so two admins never deadlock) and
    must still be an active admin: two admins demoting each other at the same
    moment cannot leave the site with none.
    """
    if staff_id == actor.id:
        raise AccountError(f"You cannot {what} your own account: ask another admin.", "role")
    rows = {ident: lock_row(StaffUser, ident) for ident in sorted((staff_id, actor.id))}
    me = rows[actor.id]
    if not (me.is_active and me.is_admin):
        raise AccountError("Your account is no longer an active admin.", "role")
    return rows[staff_id]  # NoResultFound above when there is no such account: 404


def set_role(staff_id: int, role: str, *, actor: StaffUser) -> StaffUser:
    """Change the role; a demoted account's API tokens drop to its new role by themselves."""
    _check_role(role)
    with write_transaction():
        row = _other_account(staff_id, actor, "change the role of")
        if row.role != role:
            audit.record(
                "staff.role", row, before={"role": row.role}, after={"role": role}, actor=actor
            )
            row.role = role  # every request checks the role afresh: no need to end sessions
    return row


def disable_staff(staff_id: int, *, actor: StaffUser) -> StaffUser:
    """No more sign-in, every session ended and every API token revoked, at once."""
    with write_transaction():
        row = _other_account(staff_id, actor, "disable")
        if row.is_active:
            row.is_active = False
            row.session_version += 1
            revoked = db.session.execute(
                update(ApiToken)
                .where(ApiToken.staff_user_id == row.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
            audit.record(
                "staff.disable",
                row,
                after={"active": False, "tokens_revoked": revoked},
                actor=actor,
            )
    return row


def enable_staff(staff_id: int, *, actor: StaffUser) -> StaffUser:
    """Sign-in works again with the old password; revoked API tokens stay revoked."""
    with write_transaction():
        row = lock_row(StaffUser, staff_id)
        if not row.is_active:
            row.is_active = True
            audit.record("staff.enable", row, after={"active": True}, actor=actor)
    return row


def reset_staff(staff_id: int, *, actor: StaffUser) -> StaffUser:
    """The password stops working, sessions end, two-step sign-in is off (a lost phone
    is the usual reason), and a new set-password link is sent."""
    with write_transaction():
        row = _other_account(staff_id, actor, "reset")
        if not row.is_active:
            raise AccountError("Enable the account before resetting its password.", "role")
        row.password_hash = NO_PASSWORD
        row.session_version += 1
        # A lost phone is the usual reason: two-step sign-in is set up again afterwards.
        two_step_was_on = row.totp_secret is not None
        row.totp_secret = None
        recovery.delete_codes(row)
        audit.record(
            "staff.reset",
            row,
            after={"password": "reset", "two_step_cleared": two_step_was_on},
            actor=actor,
        )
        _queue_password_email(row, "staff_password_reset", actor)
    return row


def set_password(token: str, password: str, confirm: str) -> StaffUser:
    """The password from a set-password link; the link dies with the old hash.

    The link is checked again under the account's row lock: two requests with the
    same link at the same moment cannot both set a password.
    """
    staff = staff_for_password_token(token)
    _check_new_password(staff, password, confirm)
    with write_transaction():
        lock_row(StaffUser, staff.id)  # re-reads the row the link is checked against
        row = staff_for_password_token(token)
        row.password_hash = generate_password_hash(password)
        row.session_version += 1
        db.session.execute(delete(SignInFailure).where(SignInFailure.email == row.email))
        audit.record("staff.password_set", row, after={"password": "set by link"}, actor=row)
    return row


def change_own_password(staff: StaffUser, current: str, password: str, confirm: str) -> StaffUser:
    """Ends every other session; the caller signs this one in again with the new version."""
    if not check_password_hash(staff.password_hash, current):
        raise AccountError("That is not your current password.", "current")
    _check_new_password(staff, password, confirm)
    if check_password_hash(staff.password_hash, password):
        raise AccountError("Choose a password different from the current one.", "password")
    with write_transaction(keep_loaded=True):
        row = lock_row(StaffUser, staff.id)
        row.password_hash = generate_password_hash(password)
        row.session_version += 1
        audit.record("staff.password_change", row, after={"password": "changed"}, actor=row)
    return row


def _check_new_password(staff: StaffUser, password: str, confirm: str) -> None:
    if (problem := password_problem(password, email=staff.email)) is not None:
        raise AccountError(problem, "password")
    if password != confirm:
        raise AccountError("The two passwords are not the same.", "confirm")

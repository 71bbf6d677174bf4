"""The auth service's rules: accounts, sign-up across two services, sign-in, deletion."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from servicekit.contract import user_deleted
from servicekit.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized
from servicekit.events import add_event
from servicekit.http import service_client
from servicekit.identity import Identity

from . import emails, passwords, sessions, throttle
from .models import ROLE_USER, Account, db, outbox

log = logging.getLogger(__name__)

BAD_CREDENTIALS = "The email or password is incorrect."


@dataclass(frozen=True)
class NewAccount:
    """A signed-up account and the display name its profile was given."""

    account: Account
    display_name: str


def _email_taken() -> Conflict:
    return Conflict("An account with this email already exists.")


def sign_up(*, email: str, password: str, display_name: str, role: str = ROLE_USER) -> NewAccount:
    """Create the account here and its profile in the user service, or neither."""
    email_key = emails.email_key(email)
    if db.session.scalar(select(Account.id).where(Account.email_key == email_key)):
        raise _email_taken()
    # Hash before touching the database: the transaction stays as short as the peer call.
    password_hash = passwords.hash_password(password)
    account = Account(
        id=uuid.uuid4(), email=email, email_key=email_key, password_hash=password_hash, role=role
    )
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _email_taken() from None
    try:
        profile_name = _create_profile(account.id, display_name)
    except ServiceUnavailable:
        db.session.rollback()
        # A timed-out PUT may still land once the user service wakes up.
        _abandon_profile(account.id)
        raise
    try:
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        _delete_profile(account.id)
        _abandon_profile(account.id)
        if isinstance(exc, IntegrityError):
            raise _email_taken() from None
        raise
    return NewAccount(account, profile_name)


def _abandon_profile(user_id: uuid.UUID) -> None:
    """Announce the never-created account as deleted, durably, through the outbox.

    The user service then removes a profile that arrived late and refuses the id for
    good (a tombstone), whichever of the two comes first; the other consumers find
    nothing to remove.
    """
    try:
        _announce_deleted(user_id)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.error("could not queue the undo of profile %s", user_id)


def _announce_deleted(user_id: uuid.UUID) -> None:
    """Queue `user.deleted` for this id in the current transaction."""
    add_event(db.session, outbox, **user_deleted(user_id=user_id))


def _create_profile(user_id: uuid.UUID, display_name: str) -> str:
    """PUT the profile (idempotent, so a retried call is harmless); its stored name."""
    response = service_client().put(
        "user", f"/internal/users/{user_id}", json={"displayName": display_name}
    )
    if response.status_code not in (200, 201):
        log.warning("user service refused a profile: %s", response.status_code)
        raise ServiceUnavailable("The user service could not create the profile.")
    try:
        return str(response.json()["displayName"])
    except (ValueError, KeyError, TypeError):
        return display_name.strip()


def _delete_profile(user_id: uuid.UUID) -> None:
    """Undo a profile whose account could not be committed."""
    try:
        response = service_client().delete("user", f"/internal/users/{user_id}")
        if response.status_code in (200, 204, 404):
            return
        log.error("compensating profile delete answered %s", response.status_code)
    except ServiceUnavailable:
        log.error("compensating profile delete failed: orphan profile %s", user_id)


def sign_in(*, email: str, password: str, client: str) -> Account:
    """The account these credentials open; 401 alike for every failure, 429 when throttled."""
    attempt = throttle.reserve(email=email, client=client)
    account = db.session.scalar(select(Account).where(Account.email_key == emails.email_key(email)))
    # verified first, so a missing account costs the same time as a wrong password
    if not passwords.verify_password(account.password_hash if account else None, password) or (
        account is None
    ):
        db.session.rollback()
        raise Unauthorized(BAD_CREDENTIALS)
    throttle.succeeded(attempt)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    db.session.commit()
    return account


def sign_out(*, caller: Identity) -> None:
    """End every session of the caller's account: all access and refresh tokens."""
    sessions.revoke_all(account_id=caller.user_id)
    db.session.commit()


def change_password(*, caller: Identity, current: str, new: str, client: str) -> Account:
    """Set a new password (the current one checked and throttled like a sign-in); every
    existing token of the account stops working."""
    account = get_account(user_id=caller.user_id)
    email = account.email
    attempt = throttle.reserve(email=email, client=client)
    account = get_account(user_id=caller.user_id)
    if not passwords.verify_password(account.password_hash, current):
        db.session.rollback()
        raise Forbidden("The current password is incorrect.")
    throttle.succeeded(attempt)
    account.password_hash = passwords.hash_password(new)
    sessions.revoke_all(account_id=account.id)
    db.session.commit()
    return account


def get_account(*, user_id: uuid.UUID) -> Account:
    """The caller's account; 401 when it no longer exists."""
    account = db.session.get(Account, user_id)
    if account is None:
        raise Unauthorized("The account no longer exists.")
    return account


def delete_account(*, caller: Identity, user_id: uuid.UUID) -> None:
    """Delete an account (its owner or an admin) and announce `user.deleted`."""
    if caller.user_id != user_id and not caller.is_admin:
        raise Forbidden("You can only delete your own account.")
    # DELETE ... RETURNING: of two concurrent deletions only one emits the event.
    deleted = db.session.scalar(delete(Account).where(Account.id == user_id).returning(Account.id))
    if deleted is None:
        db.session.rollback()
        raise NotFound("No account with this id.")
    _announce_deleted(user_id)
    db.session.commit()

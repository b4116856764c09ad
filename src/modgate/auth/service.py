"""Accounts and console sessions (API keys: ``modgate.auth.keys``, which this service extends).

Passwords are hashed with argon2id; sign-in is throttled and its hashes bounded (see
``modgate.auth.throttle``), and no database transaction is held while a password is hashed. A
console session is a random token in an HttpOnly cookie; only its sha256 is stored, next to the
session's CSRF token. A session ends ``auth.session_hours`` after sign-in, or after
``auth.session_idle_minutes`` without a request; ended sessions are deleted on later sign-ins, a
bounded batch at a time. Disabled users stop working on their next request.

Every change to a user or key, and every sign-in and refused sign-in, appends its audit entry
(``modgate.audit``) in the change's transaction; ``actor`` is who made the change, as the audit
log names actors. Users are staff, so their entries belong to the ``default`` tenant; a key's
belong to the key's tenant. Passwords, secrets and addresses are only ever hashed into them.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.auth import aws
from modgate.auth.keys import ApiKeys, sha256_hex
from modgate.auth.models import ROLES, ConsoleSession, User
from modgate.auth.settings import AuthSettings
from modgate.auth.tables import SessionRow, UserRow
from modgate.auth.throttle import PasswordCheckSlots, SignInThrottle, address_key, username_key
from modgate.db.base import new_id, transaction, utcnow
from modgate.errors import (
    AuthenticationRequiredException,
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from modgate.tenants import DEFAULT_TENANT

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
QUEUE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$")
_hasher = PasswordHasher()
# A session's last use is written at most this often (each request would be a write).
TOUCH_EVERY = dt.timedelta(minutes=1)
PURGE_BATCH = 100


def _user(row: UserRow) -> User:
    return User(
        row.id,
        row.username,
        row.role,
        tuple(row.queues or ()),
        row.disabled,
        row.created_at,
        row.last_login_at,
    )


class AuthService(ApiKeys):
    """Accounts and console sessions; API keys are ``ApiKeys``' (``modgate.auth.keys``)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: AuthSettings,
        clock: Callable[[], dt.datetime] = utcnow,
        hasher: PasswordHasher = _hasher,
        sealer: aws.Sealer | None = None,
    ) -> None:
        super().__init__(sessions, clock, sealer)
        self.settings = settings
        self.hasher = hasher
        self.throttle = SignInThrottle(
            settings.sign_in_max_failures, dt.timedelta(minutes=settings.sign_in_window_minutes)
        )
        self.password_checks = PasswordCheckSlots(settings.password_checks_at_once)
        self.idle = dt.timedelta(minutes=settings.session_idle_minutes)

    # users -----------------------------------------------------------------------------------
    def add_user(
        self, username: str, password: str, role: str, queues: Iterable[str] = (), *, actor: str
    ) -> User:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise InvalidParameterException(
                "A username is 2-64 characters: lowercase letters, digits, '.', '_' or '-'."
            )
        if role not in ROLES:
            raise InvalidParameterException(
                f"Unknown role {role!r}; use one of {', '.join(ROLES)}."
            )
        if len(password) < self.settings.min_password_length:
            raise InvalidParameterException(
                f"The password needs at least {self.settings.min_password_length} characters."
            )
        queue_list = sorted(set(queues))
        bad = [q for q in queue_list if not QUEUE.match(q)]
        if bad:
            raise InvalidParameterException(f"Invalid queue names: {', '.join(bad)}.")
        row = UserRow(
            id=new_id("usr"),
            username=username,
            password_hash=self.hasher.hash(password),
            role=role,
            queues=queue_list,
            disabled=False,
            created_at=self.clock(),
        )
        try:
            with self.sessions() as session, session.begin():
                session.add(row)
                session.flush()
                _audit_user(session, "user.created", row, actor, {})
        except IntegrityError as exc:
            raise ConflictException(f"The username {username!r} is taken.") from exc
        return _user(row)

    def list_users(self) -> list[User]:
        with self.sessions() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]

    def get_user(self, username: str) -> User:
        with self.sessions() as session:
            return _user(self._user_row(session, username))

    def _user_row(self, session: Session, username: str) -> UserRow:
        row = session.scalars(
            select(UserRow).where(UserRow.username == username.strip().lower())
        ).first()
        if row is None:
            raise ResourceNotFoundException(f"No user {username!r}.")
        return row

    @staticmethod
    def _end_sessions(session: Session, user_id: str) -> None:
        session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))

    def set_disabled(self, username: str, disabled: bool = True, *, actor: str) -> User:
        with transaction(self.sessions, immediate=True) as session:
            row = self._user_row(session, username)
            row.disabled = disabled
            if disabled:
                self._end_sessions(session, row.id)
            _audit_user(session, "user.changed", row, actor, {"disabled": disabled})
            return _user(row)

    def set_password(self, username: str, password: str, *, actor: str) -> User:
        """Give ``username`` a new password and end every session signed in with the old one."""
        if len(password) < self.settings.min_password_length:
            raise InvalidParameterException(
                f"The password needs at least {self.settings.min_password_length} characters."
            )
        self.get_user(username)  # a missing user is reported before any hashing work
        new_hash = self.hasher.hash(password)  # outside the transaction: hashing is slow
        with transaction(self.sessions, immediate=True) as session:
            row = self._user_row(session, username)
            row.password_hash = new_hash
            self._end_sessions(session, row.id)
            _audit_user(session, "user.changed", row, actor, {"password": "reset"})
            return _user(row)

    def set_role(self, username: str, role: str, *, actor: str) -> User:
        """Change the role of ``username``; its sessions end so the new role applies at once."""
        if role not in ROLES:
            raise InvalidParameterException(
                f"Unknown role {role!r}; use one of {', '.join(ROLES)}."
            )
        with transaction(self.sessions, immediate=True) as session:
            row = self._user_row(session, username)
            row.role = role
            self._end_sessions(session, row.id)
            _audit_user(session, "user.changed", row, actor, {"role": role})
            return _user(row)

    # sessions --------------------------------------------------------------------------------
    def sign_in(
        self, username: str, password: str, address: str | None = None
    ) -> tuple[str, ConsoleSession]:
        """A new session token for a correct password; one vague error for every failure.

        ``address`` is the client's; with the username it is what failures are counted under.
        Raises ``SignInThrottledException`` (too many failures) or
        ``PasswordChecksBusyException`` (every hashing slot taken) before hashing anything.
        """
        failure = AuthenticationRequiredException("Wrong username or password.")
        name = username.strip().lower()
        who, where = username_key(name), address_key(address)
        now = self.clock()
        with self.sessions() as session:
            self.throttle.check(session, who, where, now)
            row = session.scalars(select(UserRow).where(UserRow.username == name)).first()
        with self.password_checks.slot():
            correct = self._password_matches(row, password)
            new_hash = (
                self.hasher.hash(password)
                if correct and row and self.hasher.check_needs_rehash(row.password_hash)
                else None
            )
        if row is None or not correct or row.disabled:
            with transaction(self.sessions, immediate=True) as session:
                self.throttle.record_failure(session, who, where, now)
                _audit_sign_in(session, "sign_in.failed", row, name, address)
            raise failure
        with transaction(self.sessions, immediate=True) as session:
            stored = session.get(UserRow, row.id)
            # Disabled, or given a new password, while this one was being checked.
            if stored is None or stored.disabled or stored.password_hash != row.password_hash:
                raise failure
            _audit_sign_in(session, "sign_in.succeeded", stored, name, address)
            if new_hash is not None:
                stored.password_hash = new_hash
            stored.last_login_at = now
            token = secrets.token_urlsafe(32)
            expires = now + dt.timedelta(hours=self.settings.session_hours)
            csrf = secrets.token_urlsafe(32)
            session.add(
                SessionRow(
                    token_hash=sha256_hex(token),
                    user_id=stored.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                    last_seen_at=now,
                )
            )
            self.throttle.forgive(session, who, where)
            self._purge_ended_sessions(session, now)
            return token, ConsoleSession(_user(stored), csrf, expires)

    def _password_matches(self, row: UserRow | None, password: str) -> bool:
        if row is None:
            self.hasher.hash(password)  # same work as a real check: no user enumeration by time
            return False
        try:
            return self.hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _purge_ended_sessions(self, session: Session, now: dt.datetime) -> None:
        ended = (
            select(SessionRow.token_hash)
            .where(or_(SessionRow.expires_at <= now, SessionRow.last_seen_at <= now - self.idle))
            .limit(PURGE_BATCH)
        )
        session.execute(
            delete(SessionRow).where(SessionRow.token_hash.in_(ended)),
            execution_options={"synchronize_session": False},
        )

    def session(self, token: str | None) -> ConsoleSession | None:
        """The live session of ``token``; each use moves its idle timeout forward."""
        if not token:
            return None
        token_hash = sha256_hex(token)
        with self.sessions() as session:
            found = session.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.token_hash == token_hash)
            ).first()
        if found is None:
            return None
        row, user = found
        now = self.clock()
        if row.expires_at <= now or now - row.last_seen_at >= self.idle:
            self.sign_out(token)
            return None
        if user.disabled:
            return None
        if now - row.last_seen_at >= min(TOUCH_EVERY, self.idle / 10):
            with transaction(self.sessions, immediate=True) as session:
                session.execute(
                    update(SessionRow)
                    .where(SessionRow.token_hash == token_hash)
                    .values(last_seen_at=now)
                )
        return ConsoleSession(_user(user), row.csrf_token, row.expires_at)

    def sign_out(self, token: str | None) -> None:
        if token:
            with self.sessions() as session, session.begin():
                session.execute(
                    delete(SessionRow).where(SessionRow.token_hash == sha256_hex(token))
                )


def _audit_user(
    session: Session, kind: str, row: UserRow, actor: str, change: dict[str, Any]
) -> None:
    facts = {"username": row.username, "role": row.role, "disabled": row.disabled} | change
    audit.append(
        session,
        kind,
        tenant=DEFAULT_TENANT,
        actor=actor,
        object=f"user:{row.id}",
        payload=facts | {"queues": list(row.queues)},
        detail=facts,
    )


def _audit_sign_in(
    session: Session, kind: str, row: UserRow | None, username: str, address: str | None
) -> None:
    """A sign-in (by its user) or a refused one (by no one yet: ``anonymous``, on the user
    named when there is one); the name typed and the address are only hashed."""
    known = row is not None and kind == "sign_in.succeeded"
    audit.append(
        session,
        kind,
        tenant=DEFAULT_TENANT,
        actor=audit.user_actor(row.id) if known and row else audit.ANONYMOUS,
        object=f"user:{row.id}" if row is not None else "user:unknown",
        payload={"username": username, "address": address},
    )

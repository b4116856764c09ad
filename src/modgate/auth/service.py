"""Accounts, console sessions and API keys.

Passwords are hashed with argon2id; sign-in is throttled and its hashes bounded (see
``modgate.auth.throttle``), and no database transaction is held while a password is hashed. A
console session is a random token in an HttpOnly cookie; only its sha256 is stored, next to the
session's CSRF token. A session ends ``auth.session_hours`` after sign-in, or after
``auth.session_idle_minutes`` without a request; ended sessions are deleted on later sign-ins, a
bounded batch at a time. An API key reads ``mgk_<id>_<secret>``: the id finds the row, the
secret is compared by its sha256 (the secret is 256 random bits, so a slow hash would add
latency and no safety). Revoked keys and disabled users stop working on their next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from modgate.auth import aws
from modgate.auth.models import ROLES, SCOPES, ApiKey, ConsoleSession, User
from modgate.auth.settings import AuthSettings
from modgate.auth.tables import ApiKeyRow, SessionRow, UserRow
from modgate.auth.throttle import PasswordCheckSlots, SignInThrottle, address_key, username_key
from modgate.db.base import new_id, transaction, utcnow
from modgate.errors import (
    AuthenticationRequiredException,
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from modgate.tenants import DEFAULT_TENANT, checked_tenant

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
QUEUE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$")
KEY = re.compile(r"^mgk_([0-9a-f]{16})_([A-Za-z0-9_-]{20,})$")
_hasher = PasswordHasher()
# A session's last use is written at most this often (each request would be a write).
TOUCH_EVERY = dt.timedelta(minutes=1)
PURGE_BATCH = 100


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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


# Checked on every API request: plain columns, built once.
_KEY_BY_ID = select(
    ApiKeyRow.id,
    ApiKeyRow.name,
    ApiKeyRow.tenant,
    ApiKeyRow.secret_hash,
    ApiKeyRow.scopes,
    ApiKeyRow.created_at,
    ApiKeyRow.revoked_at,
    ApiKeyRow.last_used_at,
).where(ApiKeyRow.id == bindparam("key_id"))


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str


def _key(row: ApiKeyRow | Row[Any]) -> ApiKey:
    return ApiKey(
        row.id,
        row.name,
        tuple(row.scopes or ()),
        row.created_at,
        row.revoked_at,
        row.tenant or DEFAULT_TENANT,
    )


class AuthService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: AuthSettings,
        clock: Callable[[], dt.datetime] = utcnow,
        hasher: PasswordHasher = _hasher,
        sealer: aws.Sealer | None = None,
    ) -> None:
        self.sessions = sessions
        self.sealer = sealer
        self.settings = settings
        self.clock = clock
        self.hasher = hasher
        self.throttle = SignInThrottle(
            settings.sign_in_max_failures, dt.timedelta(minutes=settings.sign_in_window_minutes)
        )
        self.password_checks = PasswordCheckSlots(settings.password_checks_at_once)
        self.idle = dt.timedelta(minutes=settings.session_idle_minutes)

    # users -----------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, role: str, queues: Iterable[str] = ()) -> User:
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

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        with transaction(self.sessions, immediate=True) as session:
            row = self._user_row(session, username)
            row.disabled = disabled
            if disabled:
                self._end_sessions(session, row.id)
            return _user(row)

    def set_password(self, username: str, password: str) -> User:
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
            return _user(row)

    def set_role(self, username: str, role: str) -> User:
        """Change the role of ``username``; its sessions end so the new role applies at once."""
        if role not in ROLES:
            raise InvalidParameterException(
                f"Unknown role {role!r}; use one of {', '.join(ROLES)}."
            )
        with transaction(self.sessions, immediate=True) as session:
            row = self._user_row(session, username)
            row.role = role
            self._end_sessions(session, row.id)
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
            raise failure
        with transaction(self.sessions, immediate=True) as session:
            stored = session.get(UserRow, row.id)
            # Disabled, or given a new password, while this one was being checked.
            if stored is None or stored.disabled or stored.password_hash != row.password_hash:
                raise failure
            if new_hash is not None:
                stored.password_hash = new_hash
            stored.last_login_at = now
            token = secrets.token_urlsafe(32)
            expires = now + dt.timedelta(hours=self.settings.session_hours)
            csrf = secrets.token_urlsafe(32)
            session.add(
                SessionRow(
                    token_hash=_sha256(token),
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
        token_hash = _sha256(token)
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
                session.execute(delete(SessionRow).where(SessionRow.token_hash == _sha256(token)))

    # API keys --------------------------------------------------------------------------------
    def create_key(
        self, name: str, scopes: Iterable[str], tenant: str = DEFAULT_TENANT
    ) -> tuple[str, ApiKey]:
        """A new key acting for ``tenant``; the plaintext is returned once and never stored."""
        secret = secrets.token_urlsafe(32)
        key = self._insert_key(name, scopes, tenant, _sha256(secret), None)
        return f"mgk_{key.id}_{secret}", key

    def create_aws_key(
        self, name: str, scopes: Iterable[str], tenant: str = DEFAULT_TENANT
    ) -> tuple[AwsCredentials, ApiKey]:
        """A new key used as AWS credentials (SigV4, ``modgate.auth.aws``): its access key id
        and secret access key, returned once; the secret is stored sealed."""
        if self.sealer is None:
            raise InvalidParameterException("This server has no key to seal AWS secrets with.")
        secret = aws.new_secret()
        # The bearer form of the key is never shown: its hash is of a secret thrown away.
        unusable = _sha256(secrets.token_urlsafe(32))
        key = self._insert_key(name, scopes, tenant, unusable, self.sealer.seal(secret))
        return AwsCredentials(aws.access_key_id(key.id), secret), key

    def _insert_key(
        self,
        name: str,
        scopes: Iterable[str],
        tenant: str,
        secret_hash: str,
        aws_secret: str | None,
    ) -> ApiKey:
        checked_tenant(tenant)
        scope_list = sorted(set(scopes))
        unknown = [s for s in scope_list if s not in SCOPES]
        if unknown or not scope_list:
            raise InvalidParameterException(
                f"Give one or more scopes from: {', '.join(SCOPES)}"
                + (f" (unknown: {', '.join(unknown)})." if unknown else ".")
            )
        if not name.strip() or len(name) > 128:
            raise InvalidParameterException("A key needs a name of 1-128 characters.")
        row = ApiKeyRow(
            id=secrets.token_hex(8),
            name=name.strip(),
            tenant=tenant,
            secret_hash=secret_hash,
            scopes=scope_list,
            created_at=self.clock(),
            aws_secret=aws_secret,
        )
        with self.sessions() as session, session.begin():
            session.add(row)
        return _key(row)

    def aws_key(self, access_key: str) -> tuple[ApiKey, str] | None:
        """The live key an access key id names and its secret access key; None when there is
        no such key, it was revoked, or it has no AWS secret this server can open."""
        key_id = aws.key_id_of(access_key)
        if key_id is None or self.sealer is None:
            return None
        with self.sessions() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None or row.revoked_at is not None or row.aws_secret is None:
                return None
            key, sealed = _key(row), row.aws_secret
        secret = self.sealer.open(sealed)
        return (key, secret) if secret is not None else None

    def revoke_key(self, key_id: str) -> ApiKey:
        key_id = key_id.removeprefix("mgk_").split("_")[0]
        with transaction(self.sessions, immediate=True) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise ResourceNotFoundException(f"No API key {key_id!r}.")
            row.revoked_at = row.revoked_at or self.clock()
            return _key(row)

    def list_keys(self) -> list[ApiKey]:
        with self.sessions() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
            return [_key(r) for r in rows]

    def verify_key(self, presented: str) -> ApiKey | None:
        match = KEY.match(presented.strip())
        if match is None:
            return None
        key_id, secret = match.groups()
        with self.sessions() as session:
            row = session.execute(_KEY_BY_ID, {"key_id": key_id}).first()
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_hash, _sha256(secret)):
                return None
            key = _key(row)
            now = self.clock()
            last = row.last_used_at
        if last is None or now - last > dt.timedelta(minutes=1):
            with transaction(self.sessions, immediate=True) as session:
                stored = session.get(ApiKeyRow, key_id)
                if stored is not None:
                    stored.last_used_at = now
        return key

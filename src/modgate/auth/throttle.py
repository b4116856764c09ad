"""Keeping password guessing slow, and cheap to refuse.

Two limits guard the console's sign-in, where each attempt costs an argon2id hash (64 MiB):

* Failed sign-ins are counted per username and per client address in the database
  (``sign_in_failures``), so every API process sees the same figures. Once either reaches
  ``auth.sign_in_max_failures`` within ``auth.sign_in_window_minutes``, attempts are refused
  (429, ``Retry-After``) before any password is hashed, until enough failures have aged out of
  the window. Refused attempts are not counted, so an attacker who keeps trying does not extend
  the window, and the table holds about that many rows per username and per address; rows that
  left the window are deleted as new failures come, a bounded batch at a time.
* One process hashes at most ``auth.password_checks_at_once`` passwords at a time. A sign-in
  that finds every slot taken is answered 503 with ``Retry-After`` at once instead of waiting,
  so a flood of sign-ins can exhaust neither memory nor the request threads.

Usernames are stored as their sha256 (people type passwords into the username field). IPv6
clients are counted by their /64 network, which one machine usually holds whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from modgate.auth.tables import SignInFailureRow
from modgate.errors import ModgateError

PURGE_BATCH = 500


class SignInThrottledException(ModgateError):
    """Too many failed sign-ins; try again later."""

    http_status = 429
    aws_code = "ThrottlingException"

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = math.ceil(retry_after_seconds / 60)
        super().__init__(
            f"Too many failed sign-ins; try again in {minutes} minute{'s' * (minutes != 1)}."
        )
        self.retry_after_seconds = retry_after_seconds


class PasswordChecksBusyException(ModgateError):
    """Too many sign-ins at once; try again in a moment."""

    http_status = 503
    aws_code = "ThrottlingException"
    retry_after_seconds = 1


def username_key(username: str) -> str:
    """What failures of ``username`` are counted under: the sha256 of the name as typed,
    trimmed and lower-cased like sign-in does."""
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def address_key(host: str | None) -> str:
    """What failures from the client at ``host`` are counted under."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True, slots=True)
class SignInThrottle:
    """Counts failed sign-ins in the caller's session; see the module docstring."""

    max_failures: int
    window: dt.timedelta

    def check(self, session: Session, username_hash: str, address: str, now: dt.datetime) -> None:
        """Refuse with ``SignInThrottledException`` while either count is at the limit."""
        waits = [
            self._wait(session, SignInFailureRow.username_hash, username_hash, now),
            self._wait(session, SignInFailureRow.address, address, now),
        ]
        longest = max(waits)
        if longest > dt.timedelta(0):
            raise SignInThrottledException(max(1, math.ceil(longest.total_seconds())))

    def _wait(
        self, session: Session, column: InstrumentedAttribute[str], value: str, now: dt.datetime
    ) -> dt.timedelta:
        # The limit is reached while the max_failures-th newest failure is inside the window;
        # it is lifted when that one leaves it.
        newest = list(
            session.scalars(
                select(SignInFailureRow.failed_at)
                .where(column == value, SignInFailureRow.failed_at > now - self.window)
                .order_by(SignInFailureRow.failed_at.desc())
                .limit(self.max_failures)
            )
        )
        if len(newest) < self.max_failures:
            return dt.timedelta(0)
        return newest[-1] + self.window - now

    def record_failure(
        self, session: Session, username_hash: str, address: str, now: dt.datetime
    ) -> None:
        session.add(SignInFailureRow(username_hash=username_hash, address=address, failed_at=now))
        stale = (
            select(SignInFailureRow.id)
            .where(SignInFailureRow.failed_at <= now - self.window)
            .limit(PURGE_BATCH)
        )
        session.execute(
            delete(SignInFailureRow).where(SignInFailureRow.id.in_(stale)),
            execution_options={"synchronize_session": False},
        )

    def forgive(self, session: Session, username_hash: str, address: str) -> None:
        """After a successful sign-in: forget that user's failures from that address only.
        Failures for other usernames from the address, and for the user from elsewhere, stay
        counted, so signing in to one's own account does not reset a guessing run."""
        session.execute(
            delete(SignInFailureRow).where(
                SignInFailureRow.username_hash == username_hash, SignInFailureRow.address == address
            ),
            execution_options={"synchronize_session": False},
        )


class PasswordCheckSlots:
    """At most ``size`` password hashes at a time in this process; no queue."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("PasswordCheckSlots needs at least one slot")
        self._semaphore = threading.BoundedSemaphore(size)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(blocking=False):
            raise PasswordChecksBusyException()
        try:
            yield
        finally:
            self._semaphore.release()

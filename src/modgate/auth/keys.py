"""API keys: created for a tenant with scopes, shown once, verified on every request, revoked.

A key reads ``mgk_<id>_<secret>``: the id finds the row, the secret is compared by its sha256
(the secret is 256 random bits, so a slow hash would add latency and no safety). A key used as
AWS credentials (SigV4, ``modgate.auth.aws``) stores its secret access key sealed instead.
Revoked keys stop working on their next request. Every creation and revocation appends its
audit entry in the change's transaction, under the key's tenant.
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

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.auth import aws
from modgate.auth.models import SCOPES, ApiKey
from modgate.auth.tables import ApiKeyRow
from modgate.db.base import transaction
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.tenants import DEFAULT_TENANT, checked_tenant

KEY = re.compile(r"^mgk_([0-9a-f]{16})_([A-Za-z0-9_-]{20,})$")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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


class ApiKeys:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], dt.datetime],
        sealer: aws.Sealer | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.sealer = sealer

    def create_key(
        self, name: str, scopes: Iterable[str], tenant: str = DEFAULT_TENANT, *, actor: str
    ) -> tuple[str, ApiKey]:
        """A new key acting for ``tenant``; the plaintext is returned once and never stored."""
        secret = secrets.token_urlsafe(32)
        key = self._insert_key(name, scopes, tenant, sha256_hex(secret), None, actor)
        return f"mgk_{key.id}_{secret}", key

    def create_aws_key(
        self, name: str, scopes: Iterable[str], tenant: str = DEFAULT_TENANT, *, actor: str
    ) -> tuple[AwsCredentials, ApiKey]:
        """A new key used as AWS credentials (SigV4, ``modgate.auth.aws``): its access key id
        and secret access key, returned once; the secret is stored sealed."""
        if self.sealer is None:
            raise InvalidParameterException("This server has no key to seal AWS secrets with.")
        secret = aws.new_secret()
        # The bearer form of the key is never shown: its hash is of a secret thrown away.
        unusable = sha256_hex(secrets.token_urlsafe(32))
        key = self._insert_key(name, scopes, tenant, unusable, self.sealer.seal(secret), actor)
        return AwsCredentials(aws.access_key_id(key.id), secret), key

    def _insert_key(
        self,
        name: str,
        scopes: Iterable[str],
        tenant: str,
        secret_hash: str,
        aws_secret: str | None,
        actor: str,
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
            _audit_key(session, "api_key.created", row, actor)
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

    def revoke_key(self, key_id: str, *, actor: str) -> ApiKey:
        key_id = key_id.removeprefix("mgk_").split("_")[0]
        with transaction(self.sessions, immediate=True) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise ResourceNotFoundException(f"No API key {key_id!r}.")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                _audit_key(session, "api_key.revoked", row, actor)
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
            if not hmac.compare_digest(row.secret_hash, sha256_hex(secret)):
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


def _audit_key(session: Session, kind: str, row: ApiKeyRow, actor: str) -> None:
    facts = {"name": row.name, "tenant": row.tenant, "scopes": list(row.scopes)}
    audit.append(
        session,
        kind,
        tenant=row.tenant,
        actor=actor,
        object=f"api_key:{row.id}",
        payload=facts | {"revoked_at": row.revoked_at},
        detail=facts,
    )

"""AWS credentials for the Rekognition-compatible endpoint, and the SigV4 check of a request.

``modgate keys create NAME --aws`` makes an API key that is used the way AWS SDKs use an IAM
user's keys: an access key id (``MGAK`` and the key's id in capitals, 20 characters like AWS's
``AKIA…``) and a secret access key, shown once. Signature Version 4 is an HMAC whose key derives
from the secret itself, so the server must be able to read it back: the secret is stored
sealed (Fernet, from ``cryptography``) under a server key, ``auth.secrets_key`` or else the file
``<data_dir>/secrets.key`` (made, mode 0600, on first use). Servers that share a database must
share that key. Scopes, tenant and revocation are the API key's.

``verify`` checks a request the way AWS does: the ``Authorization`` header's form, the credential
scope (date, region, the ``rekognition`` service, ``aws4_request``), the clock skew of
``X-Amz-Date``, that ``host`` and ``x-amz-date`` are signed, and the signature over the
canonical request and the body's SHA-256. The canonical request is botocore's own (its signer,
told which headers the client signed), so what is verified is what boto3 signs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modgate.errors import ModgateError

if TYPE_CHECKING:
    from collections.abc import Mapping

SERVICE = "rekognition"
ACCESS_KEY_PREFIX = "MGAK"
ACCESS_KEY = re.compile(r"^MGAK([0-9A-F]{16})$")
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
MAX_SKEW = dt.timedelta(minutes=15)  # AWS's own allowance


class MissingAuthenticationTokenException(ModgateError):
    """The request is not signed: send it with an AWS SDK and modgate's AWS credentials."""

    http_status = 400
    aws_code = "MissingAuthenticationTokenException"


class UnrecognizedClientException(ModgateError):
    """The security token included in the request is invalid."""

    http_status = 400
    aws_code = "UnrecognizedClientException"


class InvalidSignatureException(ModgateError):
    """The request signature we calculated does not match the signature you provided."""

    http_status = 400
    aws_code = "InvalidSignatureException"


def access_key_id(key_id: str) -> str:
    return f"{ACCESS_KEY_PREFIX}{key_id.upper()}"


def key_id_of(access_key: str) -> str | None:
    """The API key id an access key id names, or None when it is not one of modgate's."""
    match = ACCESS_KEY.match(access_key)
    return match.group(1).lower() if match else None


def new_secret() -> str:
    """40 characters, like an AWS secret access key."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


class Sealer:
    """Seals and opens stored secrets with one server key (Fernet: AES-128-CBC + HMAC)."""

    def __init__(self, key: str | None, key_file: Path) -> None:
        self._key = key
        self._file = key_file
        self._fernet: Any = None

    def _cipher(self) -> Any:
        if self._fernet is None:
            from cryptography.fernet import Fernet

            self._fernet = Fernet(self._key or self._file_key())
        return self._fernet

    def _file_key(self) -> bytes:
        try:
            return self._file.read_bytes().strip()
        except FileNotFoundError:
            from cryptography.fernet import Fernet

            self._file.parent.mkdir(parents=True, exist_ok=True)
            key = Fernet.generate_key()
            try:  # exclusive: two processes starting at once keep the first one's key
                descriptor = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return self._file.read_bytes().strip()
            with os.fdopen(descriptor, "wb") as out:
                out.write(key)
            return key

    def seal(self, secret: str) -> str:
        return str(self._cipher().encrypt(secret.encode()).decode())

    def open(self, sealed: str) -> str | None:
        """The secret, or None when it was sealed under another server key."""
        from cryptography.fernet import InvalidToken

        try:
            return str(self._cipher().decrypt(sealed.encode()).decode())
        except InvalidToken:
            return None


@dataclass(frozen=True, slots=True)
class Signed:
    """What a request's ``Authorization`` header claims, before the signature is checked."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str


def parse(headers: Mapping[str, str], now: dt.datetime) -> Signed:
    """The claims of a signed request; raises the error the SDK would show when the header is
    missing or malformed, the scope is not this service's, or the clock is too far off."""
    authorization = headers.get("authorization")
    if not authorization:
        raise MissingAuthenticationTokenException()
    match = _AUTHORIZATION.match(authorization.strip())
    if match is None:
        raise InvalidSignatureException(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
            "(AWS4-HMAC-SHA256)."
        )
    parts = match.group("credential").split("/")
    if len(parts) != 5 or parts[3] != SERVICE or parts[4] != "aws4_request":
        raise InvalidSignatureException(
            "Credential should be scoped to a valid region, the 'rekognition' service and "
            "'aws4_request'."
        )
    access_key, date, region = parts[0], parts[1], parts[2]
    amz_date = headers.get("x-amz-date", "")
    try:
        when = dt.datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise InvalidSignatureException("X-Amz-Date is missing or not YYYYMMDDTHHMMSSZ.") from exc
    if amz_date[:8] != date:
        raise InvalidSignatureException("Credential should be scoped to the X-Amz-Date's day.")
    if abs(now - when) > MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is not within {int(MAX_SKEW.total_seconds() / 60)} "
            f"minutes of the server's time {now.strftime(_AMZ_DATE)}."
        )
    signed = tuple(match.group("signed").split(";"))
    if "host" not in signed or "x-amz-date" not in signed:
        raise InvalidSignatureException("SignedHeaders must include host and x-amz-date.")
    return Signed(access_key, date, region, signed, match.group("signature"), amz_date)


def verify(
    signed: Signed,
    secret: str,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Raise ``InvalidSignatureException`` unless ``signed.signature`` is the SigV4 signature
    of this request under ``secret``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest, HTTPHeaders
    from botocore.credentials import Credentials

    class _Signer(SigV4Auth):  # type: ignore[misc]
        # The headers the client signed, as it sent them; not botocore's choice.
        def headers_to_sign(self, request: Any) -> Any:
            chosen = HTTPHeaders()
            for name in signed.signed_headers:
                chosen[name] = headers.get(name, "")
            return chosen

    declared = headers.get("x-amz-content-sha256")
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        # botocore's canonical request trusts this header: the body must match it.
        raise InvalidSignatureException("X-Amz-Content-SHA256 is not the body's SHA-256.")
    signer = _Signer(Credentials(signed.access_key, secret), SERVICE, signed.region)
    url = f"http://{headers.get('host', '')}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    request.context["timestamp"] = signed.amz_date
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signed.signature):
        raise InvalidSignatureException(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS secret access key and signing method."
        )

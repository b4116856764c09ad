"""The client's errors: ``ModgateAPIError`` and one subclass per stable error code the server
answers with, in the server's own tree (``modgate.errors``), so ``except
ResourceNotFoundException`` catches ``PolicyVersionNotFoundException`` too.

An answer whose code the client does not know (a newer server, a proxy in between) raises the
class for its status (``BY_STATUS``: a 404 is a ``ResourceNotFoundException``, a 503 a
``StoreUnavailableException``), or ``ModgateAPIError`` itself. Every error keeps the answer's
status, code, message, details and headers.

    ModgateClientError
    ├── ModgateAPIError                 an error answer: status, code, message, details, headers
    │   └── (the server's tree, below)
    ├── ModerationTimeoutError          moderate(wait=True) ran out of time; .moderation
    └── WebhookSignatureError           verify_webhook: not signed with the secret, or too old
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ModgateClientError(Exception):
    """Every error this client raises (but transport errors, which are httpx's own)."""


class ModgateAPIError(ModgateClientError):
    """The server answered with an error: ``{"error": {"code", "message", "details"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        super().__init__(f"{code} ({status}): {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # pickled whole (to another process, say)
        return type(self), (self.status, self.code, self.message, self.details, self.headers)

    @property
    def retry_after(self) -> str | None:
        """The answer's ``Retry-After`` header, when it has one."""
        return self.headers.get("retry-after")


class ModerationTimeoutError(ModgateClientError, TimeoutError):
    """A moderation was not decided within the time ``moderate(wait=True)`` was given; it goes
    on on the server (poll it with ``get_moderation``)."""

    def __init__(self, moderation: Mapping[str, Any], timeout: float) -> None:
        self.moderation = moderation
        self.moderation_id = str(moderation.get("id"))
        self.timeout = timeout
        super().__init__(
            f"moderation {self.moderation_id} is still {moderation.get('status')} "
            f"after {timeout:g} s"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.moderation, self.timeout)


class WebhookSignatureError(ModgateClientError, ValueError):
    """The delivery is not signed with the secret, has no signature, or is too old."""


# The server's tree (modgate.errors, and the few errors raised beside the code that raises
# them), class for class, but for the errors of the Rekognition endpoint (``POST /``), which
# answer in AWS's own shape to AWS SDKs; tests/unit/client checks that the two agree, and that
# every code the OpenAPI document lists has its class here.


class InvalidParameterException(ModgateAPIError):
    """Input parameter violated a constraint (400)."""


class EmptyMediaException(InvalidParameterException):
    """The uploaded file is empty."""


class ImageTooSmallException(InvalidParameterException):
    """The image is smaller than the minimum size on a side."""


class UnknownLabelException(InvalidParameterException):
    """The label name is not in the moderation taxonomy."""


class SettingsError(InvalidParameterException):
    """A setting has an invalid value."""


class PolicyError(InvalidParameterException):
    """The policy is invalid."""


class PolicyValidationError(PolicyError):
    """The policy file has problems (``details["problems"]``)."""


class UnsafePolicyYamlError(PolicyValidationError):
    """The policy YAML uses anchors, aliases or merge keys, or is too large or deep."""


class PolicyCasesError(PolicyError):
    """The policy test-cases file cannot be read."""


class IdempotentParameterMismatchException(InvalidParameterException):
    """The request token was already used with different parameters (409)."""


class InvalidContextError(InvalidParameterException):
    """The moderation context has an invalid value."""


class InvalidCheckpointException(InvalidParameterException):
    """The audit checkpoint or key cannot be read, or its signature does not verify."""


class UnknownSurfaceException(InvalidContextError):
    """No policy is active for the surface named; name one that has one, or leave it out."""


class TooManyItemsException(InvalidParameterException):
    """The request names more items than one call takes."""


class OutboundAddressRefusedException(InvalidParameterException):
    """The URL's host is or resolves to an internal address."""


class OutboundHostUnresolvedException(InvalidParameterException):
    """The URL's host name does not resolve."""


class OutboundRedirectRefusedException(InvalidParameterException):
    """The server answered with a redirect, which modgate does not follow."""


class WebhookSecretTooShortException(InvalidParameterException):
    """The webhook secret is shorter than 16 bytes."""


class UnsupportedStreamSourceException(InvalidParameterException):
    """The stream's URL is of a scheme modgate cannot read (HLS, RTMP, RTSP and SRT it can)."""


class VideoDurationUnknownException(InvalidParameterException):
    """The video's length can neither be read nor measured."""


class InvalidTextException(InvalidParameterException):
    """The text is not valid UTF-8 (or holds a NUL character)."""


class EmptyTextException(InvalidParameterException):
    """The text is empty once white space and invisible characters are removed."""


class UnknownSignalTypeException(InvalidParameterException):
    """Unknown signal type; use pdq, vpdq or video_md5."""


class InvalidSignalException(InvalidParameterException):
    """The hash is malformed for its signal type."""


class LowQualitySignalException(InvalidParameterException):
    """The picture's PDQ quality is under 50: too featureless to bank or match."""


class InvalidBankNameException(InvalidParameterException):
    """A bank name is 1 to 64 upper-case letters, digits and underscores, starting with a
    letter (TERROR_KNOWN)."""


class BankImportInvalidException(InvalidParameterException):
    """The import has a line that cannot be read; nothing was imported."""


class InvalidCustomLabelException(InvalidParameterException):
    """A custom label needs a free name, a v7 parent (or none), a known kind and backbone, and
    at least 4 positive and 4 negative examples."""


class InvalidImageFormatException(ModgateAPIError):
    """The media format is not supported (400)."""


class UnsupportedMediaTypeException(InvalidImageFormatException):
    """The file is not an image or video of a supported type (415)."""


class UnsafeMediaTypeException(UnsupportedMediaTypeException):
    """Markup documents (SVG, HTML, XML) are refused."""


class ArchiveNotAllowedException(UnsupportedMediaTypeException):
    """Archives are refused."""


class VideoAsBase64Exception(UnsupportedMediaTypeException):
    """A video sent as base64 in JSON; upload it as multipart."""


class CorruptMediaException(InvalidImageFormatException):
    """The file claims a supported type but cannot be decoded."""


class TruncatedMediaException(CorruptMediaException):
    """The file was cut short."""


class NoVideoStreamException(InvalidImageFormatException):
    """The container holds no video stream."""


class ImageTooLargeException(ModgateAPIError):
    """The image exceeds the allowed size (413)."""


class DecompressionBombException(ImageTooLargeException):
    """The image declares more pixels than allowed."""


class VideoTooLargeException(ModgateAPIError):
    """The video exceeds the allowed size (413)."""


class VideoTooLongException(VideoTooLargeException):
    """The video is longer than allowed."""


class VideoResolutionTooHighException(VideoTooLargeException):
    """The video's frames are wider or taller than allowed."""


class VideoFrameRateTooHighException(VideoTooLargeException):
    """The video has more frames per second than allowed."""


class VideoTooManyFramesException(VideoTooLargeException):
    """The video has more frames than allowed."""


class JobCpuBudgetExceededException(ModgateAPIError):
    """The job's detection used up its CPU-time budget (413)."""


class TextSizeLimitExceededException(ModgateAPIError):
    """The text is larger than the server's limit (413)."""


class StreamLimitExceededException(ModgateAPIError):
    """The tenant already has as many live streams as it may; stop one first (429)."""


class RequestTooLargeException(ModgateAPIError):
    """The request body is larger than the route accepts (413)."""


class BankImportTooLargeException(ModgateAPIError):
    """The import has more entries than one import may hold; nothing was imported (413)."""


class InvalidS3ObjectException(ModgateAPIError):
    """The object in the blob store cannot be read (400)."""


class BlobKeyNotAllowedException(InvalidS3ObjectException):
    """blob_key must name an object under incoming/<tenant>/."""


class ResourceNotFoundException(ModgateAPIError):
    """The resource does not exist, or is another tenant's (404)."""


class PolicyVersionNotFoundException(ResourceNotFoundException):
    """No stored policy version matches."""


class BankNotFoundException(ResourceNotFoundException):
    """No bank of that name (of the caller's tenant)."""


class BankContentNotFoundException(ResourceNotFoundException):
    """No bank content with that id (of the caller's tenant)."""


class CustomLabelNotFoundException(ResourceNotFoundException):
    """No custom label, training job or stored example of that name or id (of the caller's
    tenant)."""


class AccessDeniedException(ModgateAPIError):
    """The API key lacks the scope this needs (403)."""


class CsrfTokenException(AccessDeniedException):
    """A console form without its CSRF token."""


class RevealLimitReachedException(AccessDeniedException):
    """A reviewer's daily limit of revealed items."""


class AuthenticationRequiredException(ModgateAPIError):
    """No API key, or one that is unknown or revoked (401)."""


class SignInRequired(AuthenticationRequiredException):
    """The console needs a signed-in user."""


class ConflictException(ModgateAPIError):
    """The resource is not in a state that allows this (409)."""


class LeaseLostException(ConflictException):
    """A review claim expired and was taken over."""


class AlreadyAppealedException(ConflictException):
    """The moderation has already been appealed."""


class PolicyActivationRefusedException(ConflictException):
    """A policy version cannot be activated yet: cases, backtest or approvals missing."""


class MediaDeletedException(ModgateAPIError):
    """The media's bytes were deleted by retention or an erasure request (410)."""


class BankExistsException(ConflictException):
    """A bank of that name already exists."""


class DetectorLoadError(ModgateAPIError):
    """A detector could not be loaded (500)."""


class StoreUnavailableException(ModgateAPIError):
    """A backing store is unavailable; retry later (503)."""


class PasswordChecksBusyException(ModgateAPIError):
    """Every password-check slot is taken; retry later (503)."""


class RemoteBackendUnavailableException(ModgateAPIError):
    """A remote detection backend could not answer; retry later (503)."""


class InsufficientStorageException(ModgateAPIError):
    """The server's storage is full; nothing was kept (507)."""


class SignInThrottledException(ModgateAPIError):
    """Too many failed sign-ins (429)."""


class TooManyRequestsException(ModgateAPIError):
    """A 429 whose code the client does not know: slow down (client-side class)."""


class InternalServerError(ModgateAPIError):
    """The server failed unexpectedly (500); its log has the details."""


class NotFound(ResourceNotFoundException):
    """No route has this path (404), e.g. an empty id: ``/v1/moderations/``."""


# An unknown code raises the class of its status.
BY_STATUS: dict[int, type[ModgateAPIError]] = {
    400: InvalidParameterException,
    401: AuthenticationRequiredException,
    403: AccessDeniedException,
    404: ResourceNotFoundException,
    409: ConflictException,
    413: RequestTooLargeException,
    415: UnsupportedMediaTypeException,
    429: TooManyRequestsException,
    503: StoreUnavailableException,
    507: InsufficientStorageException,
}


def _subclasses(cls: type[ModgateAPIError]) -> list[type[ModgateAPIError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


# Every class of this module by its code (the class name). TooManyRequestsException is the
# client's own, for a status, never a code the server sends.
BY_CODE: dict[str, type[ModgateAPIError]] = {
    cls.__name__: cls for cls in _subclasses(ModgateAPIError) if cls is not TooManyRequestsException
}
# The classes of no server error class: a status's, and the code of the server's catch-all.
CLIENT_ONLY = (TooManyRequestsException, InternalServerError, NotFound)


def error_for(
    status: int,
    code: str | None,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ModgateAPIError:
    """The error to raise for an error answer: the class of its code, else of its status."""
    cls = BY_CODE.get(code or "") or BY_STATUS.get(status, ModgateAPIError)
    return cls(status, code or f"HTTP{status}", message, details, headers)

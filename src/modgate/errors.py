"""The one error tree of modgate.

Every error a user can see is a ``ModgateError``. Each class carries a stable ``code`` (its class
name, never reused), the HTTP status the API answers with, and ``aws_code``: the name Amazon
Rekognition uses for the nearest equivalent, so the Rekognition-compatible API can answer in
Rekognition's own words. A class docstring is its default message.

    ModgateError (500)
    ├── InvalidParameterException (400)            [Rekognition]
    │   ├── EmptyMediaException (400)
    │   ├── ImageTooSmallException (400)
    │   ├── UnknownLabelException (400)
    │   ├── SettingsError (400)
    │   ├── PolicyError (400)
    │   │   ├── PolicyValidationError (400)      every problem as file:line:column
    │   │   │   └── UnsafePolicyYamlError (400)  anchors, aliases, merge keys, size or depth
    │   │   └── PolicyCasesError (400)           a test-cases file that cannot be read
    │   ├── InvalidContextError (400)
    │   │   └── UnknownSurfaceException (400)     a viewer's surface with no active policy
    │   ├── TooManyItemsException (400)           a batch larger than its route takes
    │   ├── IdempotentParameterMismatchException (409)  [Rekognition]
    │   ├── OutboundAddressRefusedException (400)   a URL whose host is an internal address
    │   ├── OutboundHostUnresolvedException (400)   a URL whose host name does not resolve
    │   ├── OutboundRedirectRefusedException (400)  a server that answered with a redirect
    │   ├── UnsupportedStreamSourceException (400)  a stream URL of a scheme modgate cannot read
    │   ├── WebhookSecretTooShortException (400)    a webhook secret under 16 bytes
    │   ├── UnknownSignalTypeException (400)        a hash type banks do not know
    │   ├── InvalidSignalException (400)            a malformed hash
    │   ├── LowQualitySignalException (400)         a picture too featureless to bank
    │   ├── InvalidBankNameException (400)          not UPPER_CASE_AND_UNDERSCORES
    │   ├── BankImportInvalidException (400)        an import with a bad line: nothing imported
    │   ├── InvalidCustomLabelException (400)       a bad label name, parent, kind or examples
    │   ├── InvalidCheckpointException (400)        an audit checkpoint or key that does not verify
    │   ├── VideoDurationUnknownException (400)     a video whose length cannot be measured
    │   ├── InvalidTextException (400)              text that is not valid UTF-8, or holds NUL
    │   └── EmptyTextException (400)                text with nothing to read in it
    ├── InvalidImageFormatException (400)          [Rekognition]
    │   ├── UnsupportedMediaTypeException (415)
    │   │   ├── UnsafeMediaTypeException (415)       markup that can carry script: SVG, HTML, XML
    │   │   └── ArchiveNotAllowedException (415)     ZIP, tar, gzip, 7z, RAR …
    │   ├── CorruptMediaException (400)
    │   │   └── TruncatedMediaException (400)
    │   └── NoVideoStreamException (400)
    ├── ImageTooLargeException (413)               [Rekognition]
    │   └── DecompressionBombException (413)
    ├── VideoTooLargeException (413)               [Rekognition]
    │   ├── VideoTooLongException (413)
    │   ├── VideoResolutionTooHighException (413)  a frame wider or taller than allowed
    │   ├── VideoFrameRateTooHighException (413)   more frames per second than allowed
    │   └── VideoTooManyFramesException (413)      more frames in all than allowed
    ├── JobCpuBudgetExceededException (413)        a job's detection used up its CPU-time budget
    ├── BankImportTooLargeException (413)          an import of more entries than allowed
    ├── TextSizeLimitExceededException (413)       [Comprehend] a text over the size limit
    ├── StreamLimitExceededException (429)         a tenant's live streams are at their limit
    ├── InvalidS3ObjectException (400)             [Rekognition]
    │   └── BlobKeyNotAllowedException (400)     a blob_key outside incoming/<tenant>/
    ├── ResourceNotFoundException (404)            [Rekognition]
    │   ├── PolicyVersionNotFoundException (404)
    │   ├── BankNotFoundException (404)
    │   ├── BankContentNotFoundException (404)
    │   └── CustomLabelNotFoundException (404)    no custom label or version of that name/id
    ├── AccessDeniedException (403)                [Rekognition]
    │   ├── CsrfTokenException (403)             a console form without its CSRF token
    │   └── RevealLimitReachedException (403)    a reviewer's daily cap of unblurred items
    ├── AuthenticationRequiredException (401)
    ├── ConflictException (409)
    │   ├── LeaseLostException (409)             a review claim expired and was taken over
    │   ├── AlreadyAppealedException (409)
    │   └── PolicyActivationRefusedException (409)  cases, backtest or approvals missing
    ├── MediaDeletedException (410)                the bytes went (retention or erasure)
    │   └── BankExistsException (409)             a bank of that name already exists
    ├── DetectorLoadError (500)
    ├── StoreUnavailableException (503)
    ├── RemoteBackendUnavailableException (503)  a remote detector failed, timed out or is shut off
    └── InsufficientStorageException (507)       the disk (or quota) is full; retry later

Errors from lower layers (Pillow, PyAV, boto3, SQLAlchemy) are translated into this tree at the
one place that calls them, always with ``raise ... from exc`` so the cause stays in the logs.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ModgateError(Exception):
    """An internal error occurred."""

    http_status: ClassVar[int] = 500
    aws_code: ClassVar[str] = "InternalServerError"
    # When to try again; sent as ``Retry-After`` (a class default, or set by the instance).
    retry_after_seconds: int | None = None

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = (
            message or (type(self).__doc__ or type(self).__name__).strip().splitlines()[0]
        )
        self.details = details
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return type(self).__name__

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the answer."""
        if self.retry_after_seconds is None:
            return {}
        return {"Retry-After": str(self.retry_after_seconds)}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidParameterException(ModgateError):
    """Input parameter violated a constraint."""

    http_status = 400
    aws_code = "InvalidParameterException"


class EmptyMediaException(InvalidParameterException):
    """The uploaded file is empty (zero bytes)."""


class ImageTooSmallException(InvalidParameterException):
    """The image is smaller than the minimum size on a side."""


class UnknownLabelException(InvalidParameterException):
    """The label name is not in the moderation taxonomy."""


class SettingsError(InvalidParameterException):
    """A setting has an invalid value."""


class PolicyError(InvalidParameterException):
    """The policy is invalid."""


class IdempotentParameterMismatchException(InvalidParameterException):
    """The request token was already used with different parameters."""

    http_status = 409
    aws_code = "IdempotentParameterMismatchException"


class InvalidImageFormatException(ModgateError):
    """The provided media format is not supported."""

    http_status = 400
    aws_code = "InvalidImageFormatException"


class UnsupportedMediaTypeException(InvalidImageFormatException):
    """The file is not an image or video of a supported type."""

    http_status = 415


class UnsafeMediaTypeException(UnsupportedMediaTypeException):
    """Markup documents (SVG, HTML, XML) are refused: they can carry script."""


class ArchiveNotAllowedException(UnsupportedMediaTypeException):
    """Archives are refused: upload each image or video on its own."""


class CorruptMediaException(InvalidImageFormatException):
    """The file claims a supported type but cannot be decoded."""


class TruncatedMediaException(CorruptMediaException):
    """The file ends before its data does: it was cut short."""


class NoVideoStreamException(InvalidImageFormatException):
    """The container holds no video stream."""


class ImageTooLargeException(ModgateError):
    """The input image size exceeds the allowed limit."""

    http_status = 413
    aws_code = "ImageTooLargeException"


class DecompressionBombException(ImageTooLargeException):
    """The image declares more pixels than allowed; it was not decoded."""


class VideoTooLargeException(ModgateError):
    """The video exceeds the allowed size."""

    http_status = 413
    aws_code = "VideoTooLargeException"


class VideoTooLongException(VideoTooLargeException):
    """The video is longer than the allowed duration."""


class InvalidS3ObjectException(ModgateError):
    """Unable to access the object in the blob store."""

    http_status = 400
    aws_code = "InvalidS3ObjectException"


class ResourceNotFoundException(ModgateError):
    """The requested resource does not exist."""

    http_status = 404
    aws_code = "ResourceNotFoundException"


class AccessDeniedException(ModgateError):
    """You are not allowed to do this."""

    http_status = 403
    aws_code = "AccessDeniedException"


class AuthenticationRequiredException(ModgateError):
    """Sign in or send a valid API key."""

    http_status = 401
    aws_code = "AccessDeniedException"


class ConflictException(ModgateError):
    """The resource is not in a state that allows this."""

    http_status = 409
    aws_code = "InvalidParameterException"


class DetectorLoadError(ModgateError):
    """A detector could not be loaded."""


class StoreUnavailableException(ModgateError):
    """A backing store is unavailable; retry later."""

    http_status = 503
    aws_code = "ThrottlingException"
    retry_after_seconds = 5


class PolicyValidationError(PolicyError):
    """The policy file has problems; each is reported as file:line:column."""

    def __init__(self, problems: list[str], message: str | None = None) -> None:
        self.problems = list(problems)
        text = message or "\n".join(self.problems)
        super().__init__(text, problems=self.problems)


class PolicyCasesError(PolicyError):
    """The policy test-cases file cannot be read."""


class InvalidContextError(InvalidParameterException):
    """The moderation context has an invalid value."""


class UnknownSurfaceException(InvalidContextError):
    """No policy is active for the surface named; name one that has one, or leave it out."""


class TooManyItemsException(InvalidParameterException):
    """The request names more items than one call takes."""


class PolicyVersionNotFoundException(ResourceNotFoundException):
    """No stored policy version matches."""


class CsrfTokenException(AccessDeniedException):
    """The form's CSRF token is missing or wrong; reload the page and try again."""


class RevealLimitReachedException(AccessDeniedException):
    """You reached today's limit of revealed items; it resets at midnight UTC."""


class LeaseLostException(ConflictException):
    """Your claim on this task expired and another reviewer took it; claim the next task."""


class AlreadyAppealedException(ConflictException):
    """This moderation has already been appealed."""


class OutboundAddressRefusedException(InvalidParameterException):
    """The URL's host is or resolves to an internal address (its class is in details); modgate
    connects only to public addresses unless MODGATE_OUTBOUND_ALLOW lists it."""

    def __init__(self, message: str | None = None, *, address_class: str) -> None:
        super().__init__(
            message
            or f"The URL's host is or resolves to a {address_class} address; modgate connects "
            "only to public addresses unless MODGATE_OUTBOUND_ALLOW lists the address or host.",
            address_class=address_class,
        )


class OutboundHostUnresolvedException(InvalidParameterException):
    """The URL's host name does not resolve to an address."""


class OutboundRedirectRefusedException(InvalidParameterException):
    """The server answered with a redirect; modgate does not follow redirects: use the final URL."""


class UnsafePolicyYamlError(PolicyValidationError):
    """The policy YAML uses anchors, aliases or merge keys, or is too large or too deeply nested.

    Refused while reading, before anything is expanded: these are how a few hundred bytes of YAML
    become millions of values. The message names the file, line and column.
    """


class WebhookSecretTooShortException(InvalidParameterException):
    """The webhook secret is shorter than 16 bytes; give a longer one or leave it out."""


class InvalidCheckpointException(InvalidParameterException):
    """The audit checkpoint or key cannot be read, or its signature does not verify."""


class VideoResolutionTooHighException(VideoTooLargeException):
    """The video's frames are wider or taller than allowed; it was not decoded."""


class VideoFrameRateTooHighException(VideoTooLargeException):
    """The video has more frames per second than allowed; it was not decoded."""


class VideoTooManyFramesException(VideoTooLargeException):
    """The video has more frames than allowed; it was not decoded."""


class VideoDurationUnknownException(InvalidParameterException):
    """The video's length is neither stated by its container nor measurable from its packets."""


class InsufficientStorageException(ModgateError):
    """The server's storage is full; nothing was kept. Retry later."""

    http_status = 507
    aws_code = "ThrottlingException"
    retry_after_seconds = 60


class JobCpuBudgetExceededException(ModgateError):
    """The job's detection used more CPU time than its budget allows; it was stopped.

    Permanent (a retry would use as much again): the job fails and its item goes to review.
    """

    http_status = 413
    aws_code = "VideoTooLargeException"


class RemoteBackendUnavailableException(ModgateError):
    """A remote detection backend could not answer; try again later.

    Its requests failed, timed out or were answered badly after every retry, or its circuit is
    open after repeated failures. A job that meets it is tried again later (it is not the
    item's fault), and an item is never decided without the backend its surface asked for.
    """

    http_status = 503
    aws_code = "ThrottlingException"
    retry_after_seconds = 30


class BlobKeyNotAllowedException(InvalidS3ObjectException):
    """blob_key must name an object under your tenant's incoming prefix, incoming/<tenant>/…"""


class PolicyActivationRefusedException(ConflictException):
    """The version cannot be activated yet: its test cases must pass, a backtest report must be
    attached for the surface and, when required, other policy editors must approve."""


class MediaDeletedException(ModgateError):
    """The media's bytes were deleted (retention or an erasure request); its record is kept."""

    http_status = 410
    aws_code = "ResourceNotFoundException"


class UnknownSignalTypeException(InvalidParameterException):
    """Unknown signal type; use pdq, vpdq or video_md5."""


class InvalidSignalException(InvalidParameterException):
    """The hash is malformed for its signal type."""


class LowQualitySignalException(InvalidParameterException):
    """The picture's PDQ quality is under 50: it is too featureless to bank or match."""


class InvalidBankNameException(InvalidParameterException):
    """A bank name is 1 to 64 upper-case letters, digits and underscores, starting with a
    letter (TERROR_KNOWN)."""


class BankImportInvalidException(InvalidParameterException):
    """The import has a line that cannot be read; nothing was imported."""


class BankNotFoundException(ResourceNotFoundException):
    """No bank of that name."""


class BankContentNotFoundException(ResourceNotFoundException):
    """No bank content with that id."""


class BankExistsException(ConflictException):
    """A bank of that name already exists."""


class InvalidCustomLabelException(InvalidParameterException):
    """A custom label needs a name that is not a v7 label, a v7 parent (or none), a known kind
    and backbone, and enough positive and negative examples."""


class CustomLabelNotFoundException(ResourceNotFoundException):
    """No custom label of that name, or no training job with that id."""


class BankImportTooLargeException(ModgateError):
    """The import has more entries than one import may hold; nothing was imported."""

    http_status = 413
    aws_code = "InvalidParameterException"


class InvalidTextException(InvalidParameterException):
    """The text is not valid UTF-8 (or holds a NUL character)."""

    aws_code = "InvalidRequestException"


class EmptyTextException(InvalidParameterException):
    """The text is empty: nothing is left once white space and invisible characters are
    removed."""

    aws_code = "InvalidRequestException"


class TextSizeLimitExceededException(ModgateError):
    """The text is larger than the limit (MODGATE_MAX_TEXT_BYTES, in UTF-8 bytes)."""

    http_status = 413
    aws_code = "TextSizeLimitExceededException"


class UnsupportedStreamSourceException(InvalidParameterException):
    """The stream's URL is of a scheme modgate cannot read: use HLS (http, https), RTMP, RTSP
    or SRT."""


class StreamLimitExceededException(ModgateError):
    """The tenant already has as many live streams as it may (MODGATE_STREAMS__PER_TENANT);
    stop one first."""

    http_status = 429
    aws_code = "LimitExceededException"

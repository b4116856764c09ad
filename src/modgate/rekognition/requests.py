"""Reading a Rekognition request as its service model and limits say: fields of the right
type, confidences, S3 objects under the caller's incoming prefix, images (bytes or S3) of a
format, size and sides Rekognition accepts, and human loop configuration."""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from typing import Any

from PIL import Image

from modgate.errors import (
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
    InvalidS3ObjectException,
    ModgateError,
)
from modgate.media.blobstore import incoming_key
from modgate.media.sniff import sniff
from modgate.services import Services

MAX_BYTES = 5 * 1024 * 1024  # Image.Bytes, decoded (botocore's ImageBlob max)
MAX_S3_IMAGE_BYTES = 15 * 1024 * 1024
IMAGE_FORMATS = frozenset({"JPEG", "PNG"})
# Pixels on a side, as Rekognition documents them (limits.html), whatever modgate's own are.
MIN_IMAGE_SIDE = 80
MAX_IMAGE_SIDE = 10_000
HUMAN_LOOP_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")


def object_field(body: dict[str, Any], name: str, required: bool = False) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidParameterException(f"{name} is required.")
        return None
    if not isinstance(value, dict):
        raise InvalidParameterException(f"{name} must be an object.")
    return value


def string_field(
    body: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None, limit: int = 1024
) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise InvalidParameterException(f"{name} must be a string of 1-{limit} characters.")
    if pattern is not None and not pattern.match(value):
        raise InvalidParameterException(f"{name} has characters it may not have.")
    return value


def min_confidence(body: dict[str, Any], default: float = 50.0) -> float:
    value = body.get("MinConfidence", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameterException("MinConfidence must be a number from 0 to 100.")
    if not 0 <= value <= 100:
        raise InvalidParameterException("MinConfidence must be from 0 to 100.")
    return float(value)


def blob_key_of(services: Services, s3_object: dict[str, Any]) -> str:
    """The blob key an ``S3Object`` names: an object of modgate's own bucket, under its key
    prefix (the tenant rule of ``blob_key`` applies when it is submitted)."""
    bucket = string_field(s3_object, "Bucket", limit=255)
    name = string_field(s3_object, "Name")
    if bucket is None or name is None:
        raise InvalidParameterException("S3Object needs Bucket and Name.")
    if s3_object.get("Version") is not None:
        raise InvalidParameterException("S3Object.Version is not supported; leave it out.")
    settings = services.settings
    if settings.blob_store != "s3":
        raise InvalidS3ObjectException(
            "This modgate keeps media in a local folder, not S3: send Image.Bytes, or run it "
            "with MODGATE_BLOB_STORE=s3."
        )
    prefix = settings.s3_prefix
    if bucket != settings.s3_bucket or not name.startswith(prefix):
        raise InvalidS3ObjectException(
            f"modgate reads S3 objects from its bucket {settings.s3_bucket!r}, under "
            f"{prefix}incoming/<tenant>/."
        )
    return name[len(prefix) :]


def check_image(data: bytes, limit: int) -> None:
    if not data:
        raise InvalidParameterException("The image is empty.")
    if len(data) > limit:
        raise ImageTooLargeException(
            f"The image is {len(data)} bytes; the most this operation takes is {limit}."
        )
    try:
        found = sniff(data[:8192])
    except ModgateError as exc:
        raise InvalidImageFormatException(
            "The provided image format is not supported (JPEG or PNG)."
        ) from exc
    if found.kind != "image" or found.format not in IMAGE_FORMATS:
        raise InvalidImageFormatException(
            f"The provided image format is not supported: {found.format} (JPEG or PNG)."
        )
    check_sides(data)


def check_sides(data: bytes) -> None:
    """Rekognition refuses an image under 80 or over 10 000 pixels on a side. Only the header
    is read; a picture whose header cannot be read is left to intake, which answers why."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ImageTooLargeException(
            f"The image is {width} × {height}; each side must be at most {MAX_IMAGE_SIDE} pixels."
        )
    if min(width, height) < MIN_IMAGE_SIDE:
        raise InvalidParameterException(
            f"The image is {width} × {height}; each side must be at least {MIN_IMAGE_SIDE} pixels."
        )


def image_bytes(services: Services, image: dict[str, Any], tenant: str) -> bytes:
    """The image's bytes, from the request or from S3 (under the tenant's incoming prefix)."""
    has_bytes, s3_object = "Bytes" in image, object_field(image, "S3Object")
    if has_bytes == (s3_object is not None):
        raise InvalidParameterException("Image needs exactly one of Bytes and S3Object.")
    if s3_object is not None:
        key = incoming_key(blob_key_of(services, s3_object), tenant)
        try:
            data = services.blobs.get_bytes(key)
        except ModgateError as exc:
            raise InvalidS3ObjectException("Unable to get object metadata from S3.") from exc
        check_image(data, MAX_S3_IMAGE_BYTES)
        return data
    encoded = image["Bytes"]
    if not isinstance(encoded, str):
        raise InvalidParameterException("Image.Bytes must be base64 text.")
    if len(encoded) > (MAX_BYTES + 2) // 3 * 4 + 4:
        raise ImageTooLargeException(f"Image.Bytes holds more than {MAX_BYTES} bytes.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameterException("Image.Bytes is not valid base64.") from exc
    check_image(data, MAX_BYTES)
    return data


def human_loop(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    name = string_field(config, "HumanLoopName", HUMAN_LOOP_NAME, limit=63)
    flow = string_field(config, "FlowDefinitionArn", limit=256)
    if name is None or flow is None:
        raise InvalidParameterException(
            "HumanLoopConfig needs HumanLoopName and FlowDefinitionArn."
        )
    return {"HumanLoopName": name, "FlowDefinitionArn": flow}

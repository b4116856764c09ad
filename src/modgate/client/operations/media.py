"""Media operations (``/v1/media``): upload, read its facts, fetch its preview, and erase it."""

from __future__ import annotations

from modgate.client.operations.call import Call, MediaInput, _bytes, _id, _json, _upload, route
from modgate.client.types import Media, MediaErased, MediaUploaded


@route("POST", "/v1/media")
def upload_media(media: MediaInput, *, filename: str | None = None) -> Call[MediaUploaded]:
    """Store media without moderating it (``created``: False when the tenant had these bytes
    already); moderate it later with ``moderate(media_id=...)``."""
    files, replayable = _upload(media, filename)
    return Call("POST", "/v1/media", _json, files=files, replayable=replayable)


@route("GET", "/v1/media/{media_id}")
def get_media(media_id: str) -> Call[Media]:
    """Facts about stored media."""
    return Call("GET", f"/v1/media/{_id(media_id)}", _json)


@route("GET", "/v1/media/{media_id}/preview")
def get_media_preview(media_id: str, *, blurred: bool = True) -> Call[bytes]:
    """The reviewer preview as JPEG; ``blurred=False`` needs ``media:read_clear`` and is
    logged."""
    params = None if blurred else {"blurred": "false"}
    return Call("GET", f"/v1/media/{_id(media_id)}/preview", _bytes, params)


@route("POST", "/v1/media/{media_id}/erasure")
def erase_media(media_id: str) -> Call[MediaErased]:
    """Answer an erasure request (scope ``media:erase``): the media's bytes and the personal
    fields of its moderations are deleted; the record, its decisions and hash stay."""
    return Call("POST", f"/v1/media/{_id(media_id)}/erasure", _json)

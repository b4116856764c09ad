"""What every operation's builder shares: ``Call`` (one request and how its answer is read),
``@route`` and ``ROUTES`` (which ``METHOD /path`` each builder covers), the answer readers, and the
helpers that quote ids, write query parameters and open uploads anew for each try."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeAlias, TypeVar
from urllib.parse import quote

import httpx

from modgate.client.types import Page

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
# Media to upload: its bytes, a path to it, or an open binary file (sent whole, from its start;
# one that cannot seek, a pipe, is sent once and never retried).
MediaInput: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]
Files: TypeAlias = dict[str, tuple[str, Any]]

ROUTES: dict[str, str] = {}


def route(method: str, path: str) -> Callable[[F], F]:
    """Marks a builder as the client's side of ``METHOD path`` (the server's path template)."""

    def mark(builder: F) -> F:
        ROUTES[f"{method} {path}"] = builder.__name__
        return builder

    return mark


def _json(response: httpx.Response) -> Any:
    return response.json()


def _bytes(response: httpx.Response) -> bytes:
    return response.content


def _none(_response: httpx.Response) -> None:
    return None


def _page(response: httpx.Response) -> Page[Any]:
    body = response.json()
    return Page(body["items"], body.get("next_cursor"), body)


def _no_files() -> AbstractContextManager[Files | None]:
    return nullcontext(None)


@dataclass(slots=True)  # not frozen: built for every request, and frozen costs µs
class Call(Generic[T]):
    """One request. ``files`` opens the multipart files anew for each try (and closes what it
    opened); ``replayable`` is False when a retry could not send the same body again."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    files: Callable[[], AbstractContextManager[Files | None]] = _no_files
    replayable: bool = True


def _id(value: str) -> str:
    """A path segment: an id is sent as given, never read as a path."""
    return quote(str(value), safe="")


def _query(**values: Any) -> dict[str, Any]:
    """Query parameters that are set; booleans as ``true``/``false``, times in ISO 8601."""
    return {
        key: ("true" if value else "false")
        if isinstance(value, bool)
        else value.isoformat()
        if isinstance(value, dt.datetime)
        else value
        for key, value in values.items()
        if value is not None
    }


def _upload(media: MediaInput, filename: str | None) -> tuple[Callable[[], Any], bool]:
    """A multipart ``file`` for each try, and whether a retry can send it again."""
    if isinstance(media, bytes | bytearray | memoryview):
        data = bytes(media)
        name = filename or "media"

        @contextmanager
        def from_bytes() -> Iterator[Files]:
            yield {"file": (name, data)}

        return from_bytes, True
    if isinstance(media, str | os.PathLike):
        path = Path(media)
        name = filename or path.name

        @contextmanager
        def from_path() -> Iterator[Files]:
            with path.open("rb") as file:
                yield {"file": (name, file)}

        return from_path, True
    stream = media
    name = filename or Path(str(getattr(stream, "name", "") or "media")).name
    try:
        seekable = stream.seekable()
    except (OSError, ValueError):
        seekable = False

    @contextmanager
    def from_stream() -> Iterator[Files]:
        yield {"file": (name, stream)}  # httpx reads a seekable file from its start

    return from_stream, seekable

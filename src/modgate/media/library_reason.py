"""What Pillow or FFmpeg said about a file, fit to show its uploader.

Their messages name the file they read: the server's spool or cache path
(``cannot identify image file '/var/lib/modgate/spool/…'``, ``Invalid data found when
processing input: '/…'``) or a Python object (``<_io.BytesIO object at 0x…>``). Those are the
server's details, not the uploader's, so they are cut out of every message an error carries.
"""

from __future__ import annotations

import re

import av

# A quoted string holding a path separator, or an object's repr; with the separator before it.
_FILE_NAMES = re.compile(
    r"[:,]?\s*(?:'[^']*[/\\][^']*'|\"[^\"]*[/\\][^\"]*\"|<[^<>]* at 0x[0-9a-f]+>)"
)


def library_reason(exc: BaseException) -> str:
    """``exc``'s message without the file names or objects it mentions."""
    if isinstance(exc, av.error.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    return _FILE_NAMES.sub("", str(exc)).strip() or type(exc).__name__

"""How a source says it is over: ``SourceEnded`` (the stream ended) or ``SourceLost`` (it
could not be read; the worker reconnects unless ``fatal``)."""

from __future__ import annotations


class SourceEnded(Exception):
    """The stream is over (its reason is the message)."""


class SourceLost(Exception):
    """The source could not be read; ``fatal`` when trying again cannot help."""

    def __init__(self, reason: str, fatal: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fatal = fatal

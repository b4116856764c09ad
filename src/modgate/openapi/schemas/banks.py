"""Hash banks (``/v1/banks``) and the Hasher-Matcher-Actioner compatible API: banks, their
contents and signals, exports and imports, and HMA's lookups and hashes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, RootModel

from modgate.openapi.schemas.base import Open


class Bank(Open):
    """A hash bank of the caller's tenant."""

    name: str = Field(examples=["TERROR_KNOWN"])
    description: str
    matching_enabled_ratio: float = Field(ge=0, le=1)
    max_distance: int = Field(ge=0, le=64)
    negative: bool = Field(description="Known-good content: a match suppresses labels.")
    content_count: int | None = None
    created_at: str | None
    updated_at: str | None


class Banks(Open):
    items: list[Bank]


class BankSignal(Open):
    signal_type: Literal["pdq", "vpdq", "video_md5"]
    signal: str
    quality: int | None = None
    timestamp_ms: int | None = None


class BankContent(Open):
    id: int = Field(description="HMA's bank_content_id.")
    bank: str
    enabled: bool
    note: str
    source: Literal["upload", "media", "moderation", "signal", "import", "review"]
    media_id: str | None
    moderation_id: str | None
    added_by: str | None
    signals: list[BankSignal]
    created_at: str | None
    updated_at: str | None


class BankContentPage(Open):
    items: list[BankContent]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


class BankEntry(Open):
    signal_type: str
    signal: str
    bank: str
    note: str
    enabled: bool
    content_id: int


class BankExport(Open):
    entries: list[BankEntry]


class BankImported(Open):
    imported: dict[str, int] = Field(description="Entries added, by bank.")


class HmaBank(Open):
    name: str
    matching_enabled_ratio: float
    enabled_ratio: float


class HmaBanks(RootModel[list[HmaBank]]):
    pass


class HmaMatch(Open):
    bank_content_id: int
    distance: str = Field(description="The Hamming distance (0 for MD5), as HMA gives it.")


class HmaLookup(RootModel[dict[str, list[HmaMatch]]]):
    """Matches by bank name."""


class HmaMediaLookup(RootModel[dict[str, dict[str, list[HmaMatch]]]]):
    """Matches by signal type, then bank name."""


class HmaHashes(RootModel[dict[str, str]]):
    """Hashes by signal type: ``pdq`` for a photo, ``video_md5`` for a video."""


class HmaContentAdded(Open):
    id: int
    signals: dict[str, str]


class HmaMessage(Open):
    message: str

"""The matching index: every bank's signals in memory, built from the database and kept fresh.

One ``BankIndex`` per process. It holds, per bank, its PDQ hashes and its videos' PDQ frames in
exact multi-index Hamming indexes (``modgate.banks.hamming``), and its video MD5s in a
dictionary.

Fresh: ``refresh()`` reads every bank's ``revision`` (one small query). A bank whose revision
has not moved is left as it is (the checkpoint); one that moved gets the signals added since
the last refresh appended, and reads which of its contents still answer only when one was
turned off or on or removed (``content_revision``); a deleted bank is dropped.
Removed contents stay in faiss but are never answered (their ids are no longer known); a bank
whose dead entries outnumber the live ones is rebuilt. ``Refresher`` calls ``refresh`` on a
timer with jitter (``refresh_seconds`` ± 20 %), so processes started together do not all read
the database at the same moment; a change made through this process refreshes at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from modgate.banks.hamming import MultiIndex, codes_of_words, words_of
from modgate.banks.index_feed import BankState, IndexedSignal, IndexFeed
from modgate.banks.signals import MIN_QUALITY, PDQ_BITS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Segment:
    index: MultiIndex
    owners: np.ndarray  # the content id of each hash
    base: int  # the position of its first hash in the whole

    @property
    def codes(self) -> np.ndarray:
        """The hashes as (n, 32) bytes again (kept once, as the index's words)."""
        return codes_of_words(self.index.words)


class HammingIndex:
    """PDQ hashes and the content id of each, searched by Hamming distance. Hashes added go to
    a small second segment, merged into the main one once it holds a quarter as many, so a
    bank's new content costs a rebuild of what is new, not of the bank. Adding makes new
    segments and swaps them in: a search running meanwhile uses the ones it started with."""

    def __init__(self) -> None:
        self.segments: tuple[_Segment, ...] = ()

    def __len__(self) -> int:
        return sum(len(segment.index) for segment in self.segments)

    @property
    def nbytes(self) -> int:
        return sum(s.index.nbytes + s.owners.nbytes for s in self.segments)

    def add(self, codes: np.ndarray, owners: np.ndarray) -> None:
        segments = list(self.segments)
        main = segments[0] if segments else None
        recent = segments[1] if len(segments) > 1 else None
        if recent is not None:
            codes = np.concatenate([recent.codes, codes])
            owners = np.concatenate([recent.owners, owners])
        if main is None or len(codes) * 4 > len(main.index):
            if main is not None:  # merge everything into one main segment
                codes = np.concatenate([main.codes, codes])
                owners = np.concatenate([main.owners, owners])
            self.segments = (_Segment(MultiIndex(codes), owners.astype(np.int64), 0),)
            return
        self.segments = (
            main,
            _Segment(MultiIndex(codes), owners.astype(np.int64), len(main.index)),
        )

    def search(self, queries: np.ndarray, max_distance: int) -> list[list[tuple[int, int, int]]]:
        """For each query, every (position, content id, distance) within ``max_distance``."""
        found: list[list[tuple[int, int, int]]] = [[] for _ in range(len(queries))]
        if not len(queries):
            return found
        words = words_of(queries)
        for segment in self.segments:
            rows, distances, counts = segment.index.search(words, max_distance)
            for query in np.flatnonzero(counts):
                taken = min(int(counts[query]), rows.shape[1])
                for row, distance in zip(
                    rows[query, :taken], distances[query, :taken], strict=True
                ):
                    found[query].append(
                        (segment.base + int(row), int(segment.owners[row]), int(distance))
                    )
        return found


def codes_of(values: Sequence[str]) -> np.ndarray:
    """Hex PDQ hashes as an (n, 32) array of bytes."""
    if not values:
        return np.empty((0, PDQ_BITS // 8), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(len(values), -1)


@dataclass
class BankEntries:
    """One bank in memory: its settings, its signals, the contents not to answer."""

    state: BankState
    last_signal: int = 0
    pdq: HammingIndex = field(default_factory=HammingIndex)
    vpdq: HammingIndex = field(default_factory=HammingIndex)
    md5: dict[str, list[int]] = field(default_factory=dict)
    # Per video content: how many distinct matchable frames it has (vPDQ's two-way share).
    frames: dict[int, int] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)
    disabled: set[int] = field(default_factory=set)
    dead: int = 0

    def add(self, signals: Iterable[IndexedSignal]) -> None:
        pdq: list[IndexedSignal] = []
        vpdq: list[IndexedSignal] = []
        for signal in signals:
            self.last_signal = max(self.last_signal, signal.id)
            self.live.add(signal.content_id)
            if signal.quality is not None and signal.quality < MIN_QUALITY:
                continue
            if signal.signal_type == "pdq":
                pdq.append(signal)
            elif signal.signal_type == "vpdq":
                vpdq.append(signal)
                self.frames[signal.content_id] = self.frames.get(signal.content_id, 0) + 1
            elif signal.signal_type == "video_md5":
                self.md5.setdefault(signal.value, []).append(signal.content_id)
        for index, chosen in ((self.pdq, pdq), (self.vpdq, vpdq)):
            if chosen:
                index.add(
                    codes_of([s.value for s in chosen]),
                    np.fromiter((s.content_id for s in chosen), dtype=np.int64, count=len(chosen)),
                )

    def answers(self, content_id: int) -> bool:
        return content_id in self.live and content_id not in self.disabled


class BankIndex:
    """Every bank of every tenant, by tenant; see the module docstring."""

    def __init__(self, store: IndexFeed) -> None:
        self.store = store
        self._banks: dict[str, BankEntries] = {}
        self._lock = threading.Lock()
        self.refreshed = False

    def refresh(self) -> None:
        """Bring every changed bank up to date (see the module docstring)."""
        with self._lock:
            states = {state.id: state for state in self.store.states()}
            banks = dict(self._banks)
            for bank_id in set(banks) - set(states):
                del banks[bank_id]
            for bank_id, state in states.items():
                entries = banks.get(bank_id)
                if entries is not None and entries.state.revision == state.revision:
                    continue
                banks[bank_id] = self._updated(entries, state)
            self._banks = banks
            self.refreshed = True

    def _updated(self, entries: BankEntries | None, state: BankState) -> BankEntries:
        if entries is None:
            entries = BankEntries(state)
            entries.add(self.store.signals_after(state.id, 0))
            entries.live, entries.disabled = self.store.content_ids(state.id)
            return entries
        added = self.store.signals_after(state.id, entries.last_signal)
        if entries.state.content_revision == state.content_revision:
            # Only additions (or settings) since: no need to read which contents answer.
            entries.state = state
            entries.add(added)
            return entries
        live, disabled = self.store.content_ids(state.id)
        entries.dead += len(entries.live - live)
        if entries.dead > len(live):
            logger.info("rebuilding bank %s/%s: mostly removed entries", state.tenant, state.name)
            rebuilt = BankEntries(state)
            rebuilt.add(self.store.signals_after(state.id, 0))
            rebuilt.live, rebuilt.disabled = live, disabled
            return rebuilt
        entries.state = state
        entries.add(added)
        entries.live, entries.disabled = live, disabled
        return entries

    def banks_of(self, tenant: str) -> list[BankEntries]:
        """The in-memory banks of ``tenant`` (refreshed first if never refreshed)."""
        if not self.refreshed:
            self.refresh()
        return [entries for entries in self._banks.values() if entries.state.tenant == tenant]

    def size(self) -> dict[str, int]:
        """Signals held, by signal type (every tenant)."""
        banks = list(self._banks.values())
        return {
            "pdq": sum(len(b.pdq) for b in banks),
            "vpdq": sum(len(b.vpdq) for b in banks),
            "video_md5": sum(len(b.md5) for b in banks),
        }


class Refresher:
    """Calls ``index.refresh()`` every ``seconds`` ± 20 % on a daemon thread until stopped."""

    def __init__(self, index: BankIndex, seconds: float, rng: random.Random | None = None) -> None:
        self.index = index
        self.seconds = seconds
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def next_wait(self) -> float:
        return self.seconds * self.rng.uniform(0.8, 1.2)

    def start(self) -> None:
        if self._thread is not None or self.seconds <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bank-index", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.next_wait()):
            try:
                self.index.refresh()
            except Exception:  # the next tick tries again; lookups use what is held
                logger.exception("bank index refresh failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

"""Exact Hamming-radius search over 256-bit PDQ hashes: multi-index hashing, compiled by numba.

``MultiIndex`` cuts the bits into ``m`` chunks of ``w`` bits (``w`` about log2 of the number of
hashes, so a chunk value names about one hash) and keeps, per chunk, the hashes sorted by that
chunk's value with an offset table over the values. A hash within distance ``r`` of a query has,
by the pigeonhole principle, at least one chunk within ``r // m`` bits of the query's; so
probing every chunk value within that many bit flips of the query's, and checking each hash
found there, finds every match: exact, not approximate. A hash found through several chunks is
answered once (by the first chunk that finds it).

The search runs compiled (numba), over the queries of a batch in parallel. Measured before
choosing this over faiss' ``IndexBinaryMultiHash`` (the same method): on 10 million hashes at
distance 31, faiss answered 79 lookups a second on two cores; see ``benchmarks/bench_banks.py``
for this one's figures. Below ``BRUTE_FORCE_BELOW`` hashes every hash is compared instead.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Final

import numpy as np
from numba import njit, prange

BITS: Final = 256
WORDS: Final = BITS // 64
BRUTE_FORCE_BELOW: Final = 1 << 14
MAX_HITS: Final = 1024  # matches answered per query; a bank answering more is misconfigured
PARALLEL_FROM: Final = 16
_NO_FLIPS: Final = np.zeros(1, np.int64)


def words_of(codes: np.ndarray) -> np.ndarray:
    """(n, 32) bytes as (n, 4) 64-bit words, most significant bit first."""
    return (
        np.ascontiguousarray(codes, dtype=np.uint8).view(">u8").reshape(-1, WORDS).astype(np.uint64)
    )


def codes_of_words(words: np.ndarray) -> np.ndarray:
    """``words_of`` undone: (n, 4) words as (n, 32) bytes."""
    return np.ascontiguousarray(words.astype(">u8")).view(np.uint8).reshape(-1, WORDS * 8)


@njit(cache=True, inline="always")
def _popcount(x: np.uint64) -> np.uint64:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True, inline="always")
def _chunk(words: np.ndarray, row: int, start: int, width: int) -> np.int64:
    """Bits ``start`` to ``start + width`` of hash ``row``, as a number."""
    k = start // 64
    off = start % 64
    mask = (np.uint64(1) << np.uint64(width)) - np.uint64(1)
    first = words[row, k]
    if off + width <= 64:
        return np.int64((first >> np.uint64(64 - off - width)) & mask)
    low = off + width - 64
    high = (first & ((np.uint64(1) << np.uint64(64 - off)) - np.uint64(1))) << np.uint64(low)
    return np.int64((high | (words[row, k + 1] >> np.uint64(64 - low))) & mask)


@njit(cache=True)
def _keys(words: np.ndarray, start: int, width: int) -> np.ndarray:
    out = np.empty(words.shape[0], np.int64)
    for row in range(words.shape[0]):
        out[row] = _chunk(words, row, start, width)
    return out


@njit(cache=True)
def _distance(words: np.ndarray, row: int, queries: np.ndarray, query: int) -> np.uint64:
    total = np.uint64(0)
    for k in range(4):
        total += _popcount(words[row, k] ^ queries[query, k])
    return total


@njit(cache=True)
def _brute_force_one(
    words: np.ndarray,
    queries: np.ndarray,
    query: int,
    radius: int,
    hits: np.ndarray,
    distances: np.ndarray,
) -> int:
    found = 0
    for row in range(words.shape[0]):
        distance = _distance(words, row, queries, query)
        if distance <= radius:
            if found < hits.shape[1]:
                hits[query, found] = row
                distances[query, found] = distance
            found += 1
    return found


@njit(cache=True)
def _multi_index_one(
    words: np.ndarray,
    orders: np.ndarray,
    offsets: np.ndarray,
    width: int,
    chunks: int,
    flips: np.ndarray,
    queries: np.ndarray,
    query: int,
    radius: int,
    hits: np.ndarray,
    distances: np.ndarray,
) -> int:
    """One query, in stages (bucket bounds, then rows, then distances), so the memory reads of
    each stage are independent of one another and run side by side."""
    size = words.shape[0]
    span = (1 << width) + 1
    per_chunk = radius // chunks
    probes = flips.shape[0]
    lows = np.empty(chunks * probes, np.int64)
    highs = np.empty(chunks * probes, np.int64)
    for chunk in range(chunks):
        key = _chunk(queries, query, chunk * width, width)
        for flip in range(probes):
            probe = chunk * span + (key ^ flips[flip])
            lows[chunk * probes + flip] = offsets[probe]
            highs[chunk * probes + flip] = offsets[probe + 1]
    total = 0
    for i in range(chunks * probes):
        total += highs[i] - lows[i]
    rows = np.empty(total, np.int64)
    via = np.empty(total, np.int64)  # the chunk a row was found through
    at = 0
    for i in range(chunks * probes):
        chunk = i // probes
        for j in range(lows[i], highs[i]):
            rows[at] = orders[chunk * size + j]
            via[at] = chunk
            at += 1
    found = 0
    for i in range(total):
        row = rows[i]
        distance = _distance(words, row, queries, query)
        if distance > radius:
            continue
        earlier = False  # found through an earlier chunk too: answered there
        for other in range(via[i]):
            start = other * width
            near = _chunk(words, row, start, width) ^ _chunk(queries, query, start, width)
            if _popcount(np.uint64(near)) <= per_chunk:
                earlier = True
                break
        if earlier:
            continue
        if found < hits.shape[1]:
            hits[query, found] = row
            distances[query, found] = distance
        found += 1
    return found


@njit(cache=True, inline="always")
def _search_one(
    words: np.ndarray,
    orders: np.ndarray,
    offsets: np.ndarray,
    width: int,
    chunks: int,
    flips: np.ndarray,
    queries: np.ndarray,
    query: int,
    radius: int,
    hits: np.ndarray,
    distances: np.ndarray,
) -> int:
    """Answer one query: brute force without an index (``chunks == 0``), else multi-index."""
    if chunks == 0:
        return _brute_force_one(words, queries, query, radius, hits, distances)
    return _multi_index_one(
        words, orders, offsets, width, chunks, flips, queries, query, radius, hits, distances
    )


@njit(cache=True, parallel=True)
def _search_parallel(
    words: np.ndarray,
    orders: np.ndarray,
    offsets: np.ndarray,
    width: int,
    chunks: int,
    flips: np.ndarray,
    queries: np.ndarray,
    radius: int,
    hits: np.ndarray,
    distances: np.ndarray,
    found: np.ndarray,
) -> None:
    for query in prange(queries.shape[0]):
        found[query] = _search_one(
            words, orders, offsets, width, chunks, flips, queries, query, radius, hits, distances
        )


@njit(cache=True)
def _search_serial(
    words: np.ndarray,
    orders: np.ndarray,
    offsets: np.ndarray,
    width: int,
    chunks: int,
    flips: np.ndarray,
    queries: np.ndarray,
    radius: int,
    hits: np.ndarray,
    distances: np.ndarray,
    found: np.ndarray,
) -> None:
    for query in range(queries.shape[0]):
        found[query] = _search_one(
            words, orders, offsets, width, chunks, flips, queries, query, radius, hits, distances
        )


@cache
def _flips(width: int, bits: int) -> np.ndarray:
    """Every mask of ``width`` bits with at most ``bits`` bits set."""
    masks = [
        sum(1 << b for b in chosen)
        for r in range(bits + 1)
        for chosen in itertools.combinations(range(width), r)
    ]
    return np.array(masks, dtype=np.int64)


class MultiIndex:
    """An immutable set of PDQ hashes searched by Hamming radius (see the module docstring)."""

    def __init__(self, codes: np.ndarray) -> None:
        self.words = words_of(codes)
        size = len(self.words)
        self.width = int(np.clip(round(np.log2(max(size, 2))), 8, 24))
        self.chunks = BITS // self.width if size >= BRUTE_FORCE_BELOW else 0
        span = (1 << self.width) + 1
        self.orders = np.empty(self.chunks * size, np.int32)
        self.offsets = np.zeros(self.chunks * span, np.int32)
        for chunk in range(self.chunks):
            keys = _keys(self.words, chunk * self.width, self.width)
            self.orders[chunk * size : (chunk + 1) * size] = np.argsort(keys, kind="stable")
            counts = np.bincount(keys, minlength=1 << self.width)
            np.cumsum(counts, out=self.offsets[chunk * span + 1 : (chunk + 1) * span])

    def __len__(self) -> int:
        return len(self.words)

    @property
    def nbytes(self) -> int:
        return int(self.words.nbytes + self.orders.nbytes + self.offsets.nbytes)

    def search(
        self, queries: np.ndarray, radius: int, max_hits: int = MAX_HITS
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For (q, 4) query words: the rows within ``radius`` of each (q × ``max_hits``, -1
        past the end), their distances, and how many each query has."""
        count = len(queries)
        hits = np.full((count, max_hits), -1, np.int64)
        distances = np.zeros((count, max_hits), np.int64)
        found = np.zeros(count, np.int64)
        if len(self.words) == 0 or count == 0:
            return hits, distances, found
        flips = _flips(self.width, radius // self.chunks) if self.chunks else _NO_FLIPS
        # A few queries (one item's hashes) run on the calling thread: starting the parallel
        # workers costs more than it saves.
        run = _search_parallel if count >= PARALLEL_FROM else _search_serial
        run(
            self.words,
            self.orders,
            self.offsets,
            self.width,
            self.chunks,
            flips,
            queries,
            radius,
            hits,
            distances,
            found,
        )
        return hits, distances, found

"""The Hamming index is exact: it answers every hash within the radius and nothing beyond, for
small sets (compared one by one) and large ones (multi-index), one query or many."""

from __future__ import annotations

import numpy as np
import pytest

from modgate.banks.hamming import BRUTE_FORCE_BELOW, MultiIndex, words_of
from modgate.banks.index import HammingIndex


def _flipped(codes: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = codes.copy()
    for row in range(len(out)):
        for bit in rng.choice(256, bits, replace=False):
            out[row, bit // 8] ^= 1 << (bit % 8)
    return out


def _truth(codes: np.ndarray, queries: np.ndarray, radius: int) -> list[set[int]]:
    bits = np.unpackbits(codes, axis=1)
    found = []
    for query in np.unpackbits(queries, axis=1):
        distances = (bits != query).sum(axis=1)
        found.append(set(np.flatnonzero(distances <= radius).tolist()))
    return found


@pytest.mark.parametrize("size", [500, BRUTE_FORCE_BELOW * 2])
@pytest.mark.parametrize("batch", [1, 40])
def test_every_hash_within_the_radius_is_found_and_none_beyond(size: int, batch: int) -> None:
    rng = np.random.default_rng(size + batch)
    codes = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    index = MultiIndex(codes)
    assert bool(index.chunks) == (size >= BRUTE_FORCE_BELOW)
    for bits in (0, 15, 31, 32, 40):
        queries = _flipped(codes[:batch], bits, rng)
        rows, distances, counts = index.search(words_of(queries), 31)
        truth = _truth(codes, queries, 31)
        for query in range(batch):
            got = set(rows[query, : counts[query]].tolist())
            assert got == truth[query], (bits, query)
            assert (query in got) == (bits <= 31)
            for row, distance in zip(
                rows[query, : counts[query]], distances[query, : counts[query]], strict=True
            ):
                assert distance == int(
                    (np.unpackbits(codes[row]) != np.unpackbits(queries[query])).sum()
                )


def test_added_hashes_are_found_beside_the_earlier_ones() -> None:
    rng = np.random.default_rng(7)
    index = HammingIndex()
    first = rng.integers(0, 256, (BRUTE_FORCE_BELOW, 32), dtype=np.uint8)
    index.add(first, np.arange(len(first)))
    later = rng.integers(0, 256, (100, 32), dtype=np.uint8)
    index.add(later, np.arange(len(later)) + 10_000_000)
    assert len(index.segments) == 2 and len(index) == len(first) + 100
    found = index.search(np.concatenate([first[:3], later[:3]]), 0)
    assert [[owner for _, owner, _ in hits] for hits in found] == [
        [0],
        [1],
        [2],
        [10_000_000],
        [10_000_001],
        [10_000_002],
    ]

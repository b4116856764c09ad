"""Merkle tree hashing as Certificate Transparency does it (RFC 9162, section 2.1).

Leaves are hashed as ``SHA-256(0x00 || data)`` and inner nodes as ``SHA-256(0x01 || left ||
right)``, so a leaf can never pass for a node. The tree over ``n`` leaves splits at the largest
power of two below ``n``; its root (``MTH``) commits to every leaf and to their order.

``Frontier`` is the compact form an append-only log keeps: the roots of the perfect subtrees
the leaves so far make (at most one per bit of the size), from which the next root follows in
``O(log n)`` hashes. ``inclusion_proof`` / ``consistency_proof`` build the audit paths of RFC
9162 2.1.3 and 2.1.4 from the leaf hashes, and ``verify_inclusion`` / ``verify_consistency``
check them with the algorithms of 2.1.3.2 and 2.1.4.2 — which is what a third party holding a
signed checkpoint runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof did not verify, or was asked for outside the tree."""


def leaf_hash(data: bytes) -> bytes:
    """``MTH({d}) = SHA-256(0x00 || d)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaf hashes ``leaves`` (``EMPTY_ROOT`` when there are none)."""
    if not leaves:
        return EMPTY_ROOT
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


@dataclass
class Frontier:
    """The roots of the perfect subtrees of a tree of ``size`` leaves, biggest (leftmost) first."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        """Add the leaf hash ``leaf`` as leaf number ``size``."""
        merged, carry = leaf, self.size
        while carry & 1:
            merged = node_hash(self.hashes.pop(), merged)
            carry >>= 1
        self.hashes.append(merged)
        self.size += 1

    def root(self) -> bytes:
        """The tree's root hash."""
        if not self.hashes:
            return EMPTY_ROOT
        merged = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            merged = node_hash(left, merged)
        return merged

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, packed: bytes) -> Frontier:
        """The frontier stored as ``to_bytes``; refuses one whose length does not fit ``size``."""
        count = size.bit_count()
        if size < 0 or len(packed) != count * HASH_SIZE:
            raise ValueError(f"a frontier of size {size} has {count} hashes")
        return cls(size, [packed[i : i + HASH_SIZE] for i in range(0, len(packed), HASH_SIZE)])


def _subtree(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of ``leaves[start:end]`` (``end > start``)."""
    if end - start == 1:
        return leaves[start]
    k = _split(end - start)
    return node_hash(_subtree(leaves, start, start + k), _subtree(leaves, start + k, end))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """``PATH(index, D[0:n])``: the audit path of leaf ``index`` in the tree of ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of {len(leaves)} leaves")
    path: list[bytes] = []
    start, end = 0, len(leaves)
    while end - start > 1:  # walk down, collecting the sibling subtrees; reversed at the end
        k = _split(end - start)
        if index < start + k:
            path.append(_subtree(leaves, start + k, end))
            end = start + k
        else:
            path.append(_subtree(leaves, start, start + k))
            start += k
    return path[::-1]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """``PROOF(m, D[0:n])``: shows the tree of the first ``old_size`` leaves is a prefix."""
    size = len(leaves)
    if not 0 < old_size <= size:
        raise ProofError(f"no consistency proof from size {old_size} to {size}")
    return _subproof(leaves, old_size, 0, size, True)


def _subproof(leaves: Sequence[bytes], m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [_subtree(leaves, start, end)]
    k = _split(n)
    if m <= k:
        return _subproof(leaves, m, start, start + k, whole) + [_subtree(leaves, start + k, end)]
    return _subproof(leaves, m - k, start + k, end, False) + [_subtree(leaves, start, start + k)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """RFC 9162 2.1.3.2; raises ``ProofError`` unless ``proof`` puts ``leaf`` at ``index`` in
    the tree of ``size`` leaves whose root is ``expected_root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if r != expected_root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 2.1.4.2; raises ``ProofError`` unless the tree of ``old_size`` leaves with root
    ``old_root`` is a prefix of the tree of ``new_size`` leaves with root ``new_root``."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size {old_size} cannot be a prefix of size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("the same size has two roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root:
        raise ProofError("the consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("the consistency proof does not lead to the new root")

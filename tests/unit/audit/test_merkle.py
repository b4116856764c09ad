"""The Merkle tree hashes, proofs and proof checks give RFC 9162's answers: the known-answer
vectors of transparency-dev/merkle (RFC 6962 tree, eight leaves), every proof generated for
trees up to 40 leaves verifies, and altered proofs, sizes and roots are refused."""

from __future__ import annotations

import pytest

from modgate.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# (leaf index, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
HASHES = [leaf_hash(data) for data in LEAVES]


def test_the_empty_tree_and_the_known_roots() -> None:
    assert root([]) == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert [root(HASHES[:size]) for size in range(1, 9)] == ROOTS


def test_the_frontier_gives_every_root_along_the_way_and_survives_storage() -> None:
    frontier = Frontier()
    for size, leaf in enumerate(HASHES, start=1):
        frontier.append(leaf)
        assert frontier.root() == ROOTS[size - 1]
        stored = Frontier.from_bytes(frontier.size, frontier.to_bytes())
        assert stored.root() == ROOTS[size - 1]
    with pytest.raises(ValueError):
        Frontier.from_bytes(3, frontier.to_bytes())  # size 3 needs two hashes, not one


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_known_answers(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(HASHES[:size], index)
    assert [p.hex() for p in proof] == path
    verify_inclusion(HASHES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("index", "size", "path"), [v for v in INCLUSION if v[2]])
def test_altered_inclusion_proofs_are_refused(index: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    good_root, leaf = ROOTS[size - 1], HASHES[index]
    probes = [
        (leaf, index - 1, size, proof, good_root),
        (leaf, index + 1, size, proof, good_root),
        (leaf, index ^ 2, size, proof, good_root),
        (leaf, index, size * 2, proof, good_root),
        (leaf, index, size // 2, proof, good_root),
        (b"WrongLeaf", index, size, proof, good_root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], good_root),
        (leaf, index, size, [*proof, good_root], good_root),
        (leaf, index, size, [b"", *proof], good_root),
        (leaf, index, size, [good_root, *proof], good_root),
        (leaf, index, size, proof[:-1], good_root),
        (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], good_root),
    ]
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        probes.append((leaf, index, size, [*proof[:i], flipped, *proof[i + 1 :]], good_root))
    for probe in probes:
        with pytest.raises(ProofError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_known_answers(old: int, new: int, path: list[str]) -> None:
    proof = consistency_proof(HASHES[:new], old)
    assert [p.hex() for p in proof] == path
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


@pytest.mark.parametrize(("old", "new", "path"), [v for v in CONSISTENCY if v[2]])
def test_altered_consistency_proofs_are_refused(old: int, new: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    root1, root2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, root1, root2, proof),
        (old + 1, new, root1, root2, proof),
        (old ^ 2, new, root1, root2, proof),
        (old, new * 2, root1, root2, proof),
        (old, new // 2, root1, root2, proof),
        (old, new, b"WrongRoot", root2, proof),
        (old, new, root1, b"WrongRoot", proof),
        (old, new, root2, root1, proof),
        (old, new, root1, root2, []),
        (old, new, root1, root2, [*proof, b""]),
        (old, new, root1, root2, [*proof, root1]),
        (old, new, root1, root2, [*proof, root2]),
        (old, new, root1, root2, [b"", *proof]),
        (old, new, root1, root2, [root1, *proof]),
        (old, new, root1, root2, [root2, *proof]),
        (old, new, root1, root2, [proof[0], *proof]),
        (old, new, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes.append((old, new, root1, root2, [*proof[:i], flipped, *proof[i + 1 :]]))
    for probe in probes:
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def test_trivial_consistency_cases() -> None:
    one, two = b"don't care 1", b"don't care 2"
    verify_consistency(0, 0, one, one, [])
    verify_consistency(0, 1, one, two, [])
    verify_consistency(1, 1, two, two, [])
    for probe in [
        (0, 0, one, two, []),
        (1, 1, one, two, []),
        (1, 0, one, two, []),
        (2, 1, one, two, []),
        (1, 2, one, two, []),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
    ]:
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def test_every_proof_of_small_trees_verifies() -> None:
    """Every proof of trees of 1 to 40 leaves verifies (``verify_*`` raise ``ProofError``
    otherwise), and the same proof against another tree's root is refused."""
    leaves = [leaf_hash(str(i).encode()) for i in range(40)]
    checked = 0
    for size in range(1, len(leaves) + 1):
        tree = leaves[:size]
        tree_root = root(tree)
        wrong_root = root([*tree[:-1], leaf_hash(b"tampered")])
        assert wrong_root != tree_root
        for index in range(size):
            proof = inclusion_proof(tree, index)
            verify_inclusion(tree[index], index, size, proof, tree_root)
            with pytest.raises(ProofError):
                verify_inclusion(tree[index], index, size, proof, wrong_root)
            checked += 1
        for old in range(1, size + 1):
            proof = consistency_proof(tree, old)
            verify_consistency(old, size, root(tree[:old]), tree_root, proof)
            checked += 1
    assert checked == 2 * sum(range(1, len(leaves) + 1))


def test_a_leaf_cannot_pass_for_a_node() -> None:
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(left + right) != node_hash(left, right)
    with pytest.raises(ProofError):
        inclusion_proof(HASHES, 8)
    with pytest.raises(ProofError):
        consistency_proof(HASHES, 0)

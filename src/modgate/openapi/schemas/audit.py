"""The audit log (``modgate.audit``): its entries, a page of them, and the RFC 9162
inclusion and consistency proofs of its Merkle tree."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from modgate.openapi.schemas.base import Open


class AuditEntry(Open):
    """One entry of the audit log (``modgate.audit``)."""

    seq: int = Field(description="Sequence number: the entry's leaf index in the Merkle tree.")
    time: str = Field(description="When it was written, ISO 8601 in UTC.")
    tenant: str
    actor: str = Field(
        description="user:<id>, key:<id>, cli:<os-user>@<host>, system:modgate or anonymous.",
        examples=["key:64ac98ae122203ac"],
    )
    kind: str = Field(examples=["moderation.completed"])
    object: str = Field(examples=["moderation:mod_0231a0d42641483ebc79e5351d00097e"])
    payload_hash: str = Field(description="Hex SHA-256 of the payload's canonical JSON.")
    detail: dict[str, Any] = Field(description="Non-personal facts kept for auditors.")
    leaf_hash: str = Field(description="Hex RFC 9162 leaf hash of the entry.")
    root_hash: str = Field(description="Hex root of the tree that ends with this entry.")


class AuditPage(Open):
    items: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class InclusionProof(Open):
    """RFC 9162 inclusion proof: the audit path of entry ``seq`` in the tree of ``tree_size``."""

    seq: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str] = Field(description="Hex node hashes, from the leaf up.")


class ConsistencyProof(Open):
    """RFC 9162 consistency proof: the tree of ``from_size`` entries is a prefix of the tree
    of ``to_size``."""

    from_size: int
    to_size: int
    from_root: str
    to_root: str
    proof: list[str] = Field(description="Hex node hashes.")

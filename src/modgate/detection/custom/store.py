"""Stored custom labels: rows in the database, heads and training embeddings in the blob store.

``CustomLabelStore`` is the narrow interface the labels service and the ``custom`` detector
(``CustomLabelSource``: ``live_stamp`` and ``live_heads``) use; ``SqlCustomLabelStore`` keeps
rows with SQLAlchemy and artifacts under ``custom-labels/<tenant>/<label id>/v<n>/`` in a
``BlobStore``. Every state change writes its audit entry in the same transaction. Reads are
tenant-scoped: another tenant's label or version is a ``CustomLabelNotFoundException``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.db.base import new_id, transaction, utcnow
from modgate.detection.custom.detector import LiveHead
from modgate.detection.custom.head import Kind, LinearHead
from modgate.detection.custom.tables import CustomLabelRow, CustomLabelVersionRow
from modgate.errors import CustomLabelNotFoundException, InvalidCustomLabelException
from modgate.media.blobstore import BlobStore

PREFIX = "custom-labels"


def unavailable_name(name: str) -> str:
    """The one refusal of a name a custom label cannot take: a taxonomy v7 label's, or one
    another tenant's custom label holds (names are unique in the installation). Both read the
    same, so the refusal never tells a tenant that another tenant has such a label."""
    return f"The name {name[:80]!r} is not available for a custom label; choose another."


@dataclass(frozen=True, slots=True)
class CustomLabel:
    id: str
    tenant: str
    name: str
    kind: Kind
    parent: str | None
    backbone: str
    live_version: int | None


@dataclass(frozen=True, slots=True)
class LabelVersion:
    """One training run of a label, and what came of it."""

    id: str
    label: str
    tenant: str
    version: int
    status: str
    source: str
    metrics: dict[str, Any]
    card: dict[str, Any]
    shadow: dict[str, Any]
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    head_key: str | None
    examples_key: str | None


@dataclass(frozen=True, slots=True)
class Examples:
    """The embeddings a version was trained on (kept so a retrain adds to them)."""

    positives: np.ndarray
    negatives: np.ndarray

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, positives=self.positives, negatives=self.negatives)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Examples:
        with np.load(io.BytesIO(data)) as arrays:
            return cls(arrays["positives"], arrays["negatives"])


class CustomLabelStore(Protocol):
    def label(self, tenant: str, name: str) -> CustomLabel: ...
    def labels(self, tenant: str) -> list[CustomLabel]: ...
    def start_version(
        self,
        label: CustomLabel,
        source: str,
        actor: str,
        *,
        request: dict[str, Any] | None = None,
        holder: str | None = None,
        lease_seconds: float = 0.0,
    ) -> tuple[CustomLabel, LabelVersion]: ...
    def finish_version(
        self,
        version: LabelVersion,
        *,
        head: LinearHead | None,
        examples: Examples | None,
        shadow: dict[str, Any],
        live: bool,
        error: str = "",
        worker: str | None = None,
    ) -> LabelVersion: ...
    def version(self, tenant: str, version_id: str) -> LabelVersion: ...
    def versions(self, tenant: str, name: str) -> list[LabelVersion]: ...
    def head(self, version: LabelVersion) -> LinearHead: ...
    def examples(self, version: LabelVersion) -> Examples: ...
    def live_stamp(self) -> str: ...
    def live_heads(self) -> list[LiveHead]: ...
    def known_labels(self) -> list[tuple[str, str | None]]: ...


def _label(row: CustomLabelRow) -> CustomLabel:
    kind: Kind = "text" if row.kind == "text" else "image"
    return CustomLabel(
        row.id, row.tenant, row.name, kind, row.parent, row.backbone, row.live_version
    )


def _version(row: CustomLabelVersionRow, label: str) -> LabelVersion:
    return LabelVersion(
        id=row.id,
        label=label,
        tenant=row.tenant,
        version=row.version,
        status=row.status,
        source=row.source,
        metrics=dict(row.metrics or {}),
        card=dict(row.card or {}),
        shadow=dict(row.shadow or {}),
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        head_key=row.head_key,
        examples_key=row.examples_key,
    )


class SqlCustomLabelStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.blobs = blobs
        self.clock = clock

    def label(self, tenant: str, name: str) -> CustomLabel:
        with self.sessions() as session:
            row = session.scalar(
                select(CustomLabelRow).where(
                    CustomLabelRow.tenant == tenant, CustomLabelRow.name == name
                )
            )
            if row is None:
                raise CustomLabelNotFoundException(f"No custom label named {name[:80]!r}.")
            return _label(row)

    def labels(self, tenant: str) -> list[CustomLabel]:
        with self.sessions() as session:
            rows = session.scalars(
                select(CustomLabelRow)
                .where(CustomLabelRow.tenant == tenant)
                .order_by(CustomLabelRow.name)
            )
            return [_label(row) for row in rows]

    def start_version(
        self,
        label: CustomLabel,
        source: str,
        actor: str,
        *,
        request: dict[str, Any] | None = None,
        holder: str | None = None,
        lease_seconds: float = 0.0,
    ) -> tuple[CustomLabel, LabelVersion]:
        """A new version of ``label`` in state ``training`` (the label is created with its
        first version; a later one must keep its kind, parent and backbone). It is a durable
        job: ``request`` says what to train from; ``holder`` takes it at once (its first
        attempt, under a lease of ``lease_seconds``), else any process may claim it."""
        now = self.clock()
        with transaction(self.sessions) as session:
            row = session.scalar(select(CustomLabelRow).where(CustomLabelRow.name == label.name))
            if row is None:
                row = CustomLabelRow(
                    id=new_id("clb"),
                    tenant=label.tenant,
                    name=label.name,
                    kind=label.kind,
                    parent=label.parent,
                    backbone=label.backbone,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
            elif row.tenant != label.tenant:
                # Worded as for a v7 name, so another tenant's label is not disclosed.
                raise InvalidCustomLabelException(unavailable_name(label.name))
            elif (row.kind, row.parent, row.backbone) != (
                label.kind,
                label.parent,
                label.backbone,
            ):
                raise InvalidCustomLabelException(
                    f"{label.name!r} is a {row.kind} label under {row.parent or 'no parent'} "
                    f"on {row.backbone}; a new version keeps those."
                )
            number = (
                session.scalar(
                    select(func.max(CustomLabelVersionRow.version)).where(
                        CustomLabelVersionRow.label_id == row.id
                    )
                )
                or 0
            ) + 1
            version = CustomLabelVersionRow(
                id=new_id("clv"),
                label_id=row.id,
                tenant=label.tenant,
                version=number,
                status="training",
                source=source,
                metrics={},
                card={},
                shadow={},
                error="",
                created_at=now,
                request=request,
                attempts=1 if holder else 0,
                locked_by=holder,
                locked_until=now + dt.timedelta(seconds=lease_seconds) if holder else None,
            )
            session.add(version)
            session.flush()
            label_id = row.id
            audit.append(
                session,
                "custom_label.training_started",
                tenant=label.tenant,
                actor=actor,
                object=f"custom_label:{label_id}",
                payload={"label": label.name, "version": number, "source": source},
                detail={"label": label.name, "version": number, "source": source},
            )
            return _label(row), _version(version, label.name)

    def finish_version(
        self,
        version: LabelVersion,
        *,
        head: LinearHead | None,
        examples: Examples | None,
        shadow: dict[str, Any],
        live: bool,
        error: str = "",
        worker: str | None = None,
    ) -> LabelVersion:
        """Record how training ended: the head and examples go to the blob store first (an
        orphan blob is harmless, a row naming a missing blob is not), then the row, and with
        ``live`` the label's live version moves to this one and the previous live is retired.
        A version no longer ``training``, or (with ``worker``) no longer held by ``worker``,
        is left as it is and returned: another process took the job over."""
        folder = f"{PREFIX}/{version.tenant}/{version.id}"
        head_key = examples_key = None
        if head is not None:
            head_key = f"{folder}/head.json"
            self.blobs.put_bytes(head_key, head.to_bytes(), "application/json")
        if examples is not None:
            examples_key = f"{folder}/examples.npz"
            self.blobs.put_bytes(examples_key, examples.to_bytes(), "application/octet-stream")
        status = "failed" if head is None else ("live" if live else "rejected")
        now = self.clock()
        with transaction(self.sessions) as session:
            row = session.get(CustomLabelVersionRow, version.id)
            if row is None:
                raise CustomLabelNotFoundException("No such training job.")
            label = session.get(CustomLabelRow, row.label_id)
            assert label is not None  # the foreign key holds it
            if row.status != "training" or (worker is not None and row.locked_by != worker):
                return _version(row, label.name)
            row.status, row.error, row.finished_at = status, error[:2000], now
            row.locked_until = None
            row.head_key, row.examples_key = head_key, examples_key
            row.metrics = dict(head.card.get("cross_validation", {})) if head else {}
            row.card = dict(head.card) if head else {}
            row.shadow = shadow
            if live:
                session.execute(
                    update(CustomLabelVersionRow)
                    .where(
                        CustomLabelVersionRow.label_id == label.id,
                        CustomLabelVersionRow.status == "live",
                        CustomLabelVersionRow.id != row.id,
                    )
                    .values(status="retired")
                )
                label.live_version, label.updated_at = row.version, now
            detail = {"label": label.name, "version": row.version, "status": status}
            label_id = label.id
            audit.append(
                session,
                "custom_label.trained",
                tenant=row.tenant,
                actor=audit.SYSTEM,
                object=f"custom_label:{label_id}",
                payload={**detail, "metrics": row.metrics, "shadow": shadow, "error": error},
                detail=detail,
            )
            session.flush()
            return _version(row, label.name)

    def version(self, tenant: str, version_id: str) -> LabelVersion:
        with self.sessions() as session:
            found = session.execute(
                select(CustomLabelVersionRow, CustomLabelRow.name)
                .join(CustomLabelRow, CustomLabelRow.id == CustomLabelVersionRow.label_id)
                .where(
                    CustomLabelVersionRow.id == version_id,
                    CustomLabelVersionRow.tenant == tenant,
                )
            ).first()
            if found is None:
                raise CustomLabelNotFoundException("No custom-label training job with that id.")
            return _version(found[0], found[1])

    def versions(self, tenant: str, name: str) -> list[LabelVersion]:
        label = self.label(tenant, name)
        with self.sessions() as session:
            rows = session.scalars(
                select(CustomLabelVersionRow)
                .where(CustomLabelVersionRow.label_id == label.id)
                .order_by(CustomLabelVersionRow.version)
            )
            return [_version(row, name) for row in rows]

    def head(self, version: LabelVersion) -> LinearHead:
        if version.head_key is None:
            raise CustomLabelNotFoundException(f"Version {version.version} has no trained head.")
        return LinearHead.from_bytes(self.blobs.get_bytes(version.head_key))

    def examples(self, version: LabelVersion) -> Examples:
        if version.examples_key is None:
            raise CustomLabelNotFoundException(f"Version {version.version} kept no examples.")
        return Examples.from_bytes(self.blobs.get_bytes(version.examples_key))

    def live_stamp(self) -> str:
        with self.sessions() as session:
            count, latest = session.execute(
                select(func.count(), func.max(CustomLabelRow.updated_at))
            ).one()
        return f"{count}:{latest.isoformat() if latest else ''}"

    def known_labels(self) -> list[tuple[str, str | None]]:
        with self.sessions() as session:
            rows = session.execute(select(CustomLabelRow.name, CustomLabelRow.parent))
            return [(name, parent) for name, parent in rows]

    def live_heads(self) -> list[LiveHead]:
        with self.sessions() as session:
            found = session.execute(
                select(CustomLabelRow, CustomLabelVersionRow)
                .join(CustomLabelVersionRow, CustomLabelVersionRow.label_id == CustomLabelRow.id)
                .where(CustomLabelVersionRow.version == CustomLabelRow.live_version)
                .order_by(CustomLabelRow.name)
            ).all()
            rows = [(label.name, label.parent, version) for label, version in found]
        return [
            LiveHead(
                name,
                parent,
                version.version,
                version.tenant,
                self.head(_version(version, name)),
            )
            for name, parent, version in rows
        ]

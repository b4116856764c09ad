"""The parsed policy: plain, immutable data that the loader builds and the engine compiles.

Nothing here evaluates anything: the engine compiles a policy (``engine.compiled``). ``Policy``
keeps its source text and document so the store can save it and the version hash (sha256 of the
canonical JSON of the document) identifies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from modgate.policy.conditions import Condition

Action = Literal["allow", "annotate", "review", "block"]  # least to most severe
ACTIONS: tuple[str, ...] = get_args(Action)
SEVERITY = {action: rank for rank, action in enumerate(ACTIONS)}
PRIORITIES = ("low", "normal", "high", "urgent")
ANY_LABEL = "*"


@dataclass(frozen=True, slots=True)
class Route:
    """Where a review goes: the queue, its priority and how many reviewers (1-3)."""

    queue: str = "default"
    priority: str = "normal"
    reviewers: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"queue": self.queue, "priority": self.priority, "reviewers": self.reviewers}


@dataclass(frozen=True, slots=True)
class BandRule:
    """Confidence bands for one label and its subtree (``ignore`` carves the subtree out)."""

    id: str
    label: str
    block: float | None = None
    review: float | None = None
    annotate: float | None = None
    ignore: bool = False
    note: str = ""
    route: Route = Route()
    order: int = 0


@dataclass(frozen=True, slots=True)
class DefaultRule:
    """The action when no rule fires."""

    id: str = "default"
    action: str = "allow"
    route: Route = Route()
    order: int = 1_000_000


@dataclass(frozen=True, slots=True)
class TextRule:
    """Lists, patterns, toxicity labels and personal data over text: a submitted text, a
    caption, text read in an image or a video sample. ``labels``: (label, score from which the
    rule fires); ``pii``: personal data types whose presence fires it."""

    id: str
    action: str
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    labels: tuple[tuple[str, float], ...] = ()
    pii: tuple[str, ...] = ()
    min_confidence: float = 0.0
    note: str = ""
    route: Route = Route()
    order: int = 0


@dataclass(frozen=True, slots=True)
class VideoRule:
    """An action when a label (with its subtree) is flagged long enough in total over a video."""

    id: str
    label: str
    min_confidence: float
    action: str
    min_duration_ms: int = 0
    point_duration_ms: int = 0
    exclude: tuple[str, ...] = ()
    note: str = ""
    route: Route = Route()
    order: int = 0


@dataclass(frozen=True, slots=True)
class A2IRule:
    """Amazon A2I ``HumanLoopActivationConditions`` used unchanged as a review trigger."""

    id: str
    condition: Condition
    original: dict[str, Any]
    note: str = ""
    route: Route = Route()
    order: int = 0


@dataclass(frozen=True, slots=True)
class BankRule:
    """What a match in hash bank ``bank`` does: ``action`` (a block, a review …), counting only
    matches at ``max_distance`` or nearer (None: any the bank answers). ``suppress``: the bank
    holds known-good content, and a match takes these labels (with their subtrees; ``("*",)``:
    every label) out of the decision."""

    id: str
    bank: str
    action: str
    max_distance: int | None = None
    suppress: tuple[str, ...] = ()
    note: str = ""
    route: Route = Route()
    order: int = 0


@dataclass(frozen=True, slots=True)
class When:
    """Context a layer applies to; every given key must match, any value within a key."""

    regions: frozenset[str] | None = None
    surfaces: frozenset[str] | None = None
    audiences: tuple[tuple[int, int], ...] | None = None
    user_states: frozenset[str] | None = None
    windows: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True, slots=True)
class Layer:
    """The base policy (``when`` is None) or one overlay."""

    id: str
    when: When | None
    categories: dict[str, BandRule] = field(default_factory=dict)
    default: DefaultRule | None = None
    a2i: A2IRule | None = None
    text: tuple[TextRule, ...] = ()
    video: tuple[VideoRule, ...] = ()
    description: str = ""
    banks: dict[str, BankRule] = field(default_factory=dict)


@dataclass(eq=False)
class Policy:
    """A loaded, validated policy. ``version`` is the sha256 of its canonical document."""

    name: str
    version: str
    base: Layer
    overlays: tuple[Layer, ...]
    document: dict[str, Any]
    source: str
    filename: str
    description: str = ""
    surfaces: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def short_version(self) -> str:
        return self.version[:12]

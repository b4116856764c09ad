"""The policy's word on a stream, sample by sample: the active policy for the stream's context
(``surface`` chooses it, as for files) over the labels on screen now.

The open segments are handed to the policy as a timeline (each from its start to the last
sample that showed it), so a rule on how long a label lasts (``min_duration``) sees how long it
has been on screen so far. No open segment: nothing to decide (``allow``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from modgate.pipeline.decide import Ruling, decide
from modgate.pipeline.policies import PolicyResolver
from modgate.policy import Context
from modgate.streams.segments import OpenSegment
from modgate.taxonomy.detections import Timeline, TimelineEntry


class StreamDecider:
    def __init__(self, policies: PolicyResolver, clock: Callable[[], dt.datetime]) -> None:
        self.policies = policies
        self.clock = clock

    def decide(
        self, stream_id: str, on_screen: Iterable[OpenSegment], context: Mapping[str, Any]
    ) -> Ruling | None:
        """The ruling over the segments ``on_screen``; None when there are none."""
        entries = tuple(
            TimelineEntry(segment.start_ms, segment.last_ms, segment.label)
            for segment in sorted(on_screen, key=lambda s: (s.start_ms, s.label.name))
        )
        if not entries:
            return None
        surface = context.get("surface")
        policy = self.policies.for_surface(surface if isinstance(surface, str) else None)[0]
        now = self.clock()
        return decide(
            policy,
            (),
            Timeline(entries),
            Context.from_dict(context, now=now),
            surface=surface if isinstance(surface, str) else None,
            moderation_id=stream_id,
            clock=self.clock,
        )

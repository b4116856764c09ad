"""Decisions for the viewer: a stored item judged again, at view time, for the viewer's region,
audience, surface, local time and state, from its stored detections (never detected again).
``ViewerDecisions`` is the use case; ``routes.py`` and ``cli.py`` its edges."""

from modgate.viewer.service import MAX_ITEMS, VERDICT_RULE, ViewerDecision, ViewerDecisions

__all__ = ["MAX_ITEMS", "VERDICT_RULE", "ViewerDecision", "ViewerDecisions"]

"""Names the moderation processor still imports from here, until it is handed a ``ReviewLane``.

The moderation's public JSON and event summary live in ``modgate.moderation.public``; an item's
review state is the review lane's (``ReviewLane.state``). Import from there: this module goes
once the processor no longer needs it.
"""

from __future__ import annotations

from modgate.moderation.public import moderation_summary
from modgate.review.lane import review_state as review_state_of

__all__ = ["moderation_summary", "review_state_of"]

"""A text decided within its ``wait=true`` request: decide first, then write once.

Detecting a short comment and applying the policy takes a fraction of a millisecond, less than
writing a transaction. So a text run on its request's thread (``RunHere``) is detected and ruled
on before anything is written, and then the media row, the moderation, its job, the
``moderation.created`` event, the detections, the decision, the review it opens and the
``moderation.completed`` event are written in ONE transaction: one commit (one flush to disk)
instead of one for the accepted item and another for its decision; on SQLite, concurrent
requests' writes share that commit (``modgate.db.group_commit``). The records are those of any
job run: the job row is written as claimed by this request and settled in the same transaction.
A text sent before is detected again rather than its stored detections read back: detecting a
comment costs less than the read.

Nothing accepted is lost: the answer is sent only after that commit. A crash before it leaves
nothing behind but the text's blob (content-addressed, recorded by the next upload of the same
text) and the client, having had no answer, sends again. When detection or the write fails, the
request goes the usual way instead (the moderation committed first, then its job run), so a
failure is recorded on a job and the item goes to review, exactly as for any other item.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from modgate.db.group_commit import GroupCommit
from modgate.errors import ModgateError
from modgate.media.store import MediaRecord
from modgate.pipeline.executor import RunHere
from modgate.pipeline.jobs import Claim
from modgate.pipeline.outcomes import Fresh, Outcome

logger = logging.getLogger(__name__)

# Writes the accepted item in the caller's transaction (the media row when new, the moderation,
# its job claimed by the request, the ``moderation.created`` event): its claim, the media record
# used and whether this request wrote it.
WriteItem = Callable[[Session], tuple[Claim, MediaRecord, bool]]


def decide_text_here(
    here: RunHere,
    commits: GroupCommit,
    moderation_id: str,
    known: Fresh,
    write_item: WriteItem,
    stored: Callable[[MediaRecord], None],
) -> Outcome | None:
    """Decide the text ``known`` holds and write it with its decision in one transaction
    (shared with concurrent requests' by ``commits``);
    what was committed, or None when it could not be done this way (nothing was written: go
    the usual way). ``stored`` is told of a media record this request wrote, once committed.
    ``IntegrityError`` (a ``client_request_token`` used at the same moment by another request)
    is raised as the usual way raises it."""
    try:
        judged = here.jobs.judge(moderation_id, known)
    except Exception:  # the usual way runs it again and records the failure on its job
        logger.warning("text %s: deciding within the request failed", moderation_id, exc_info=True)
        return None

    def write(session: Session) -> tuple[Outcome, MediaRecord, bool]:
        claim, record, stored_now = write_item(session)
        # Another upload of the same text may have recorded its media first.
        outcome = here.jobs.write_judged(
            session, claim, here.worker, replace(judged, record=record)
        )
        if outcome is None:  # cannot happen to a moderation written just now
            raise ModgateError(f"moderation {moderation_id} was decided before it was written")
        return outcome, record, stored_now

    try:
        outcome, record, stored_now = commits.run(write)
    except IntegrityError:
        raise
    except Exception:  # rolled back: nothing of it was written
        logger.warning("text %s: writing it with its decision failed", moderation_id, exc_info=True)
        return None
    if stored_now:
        stored(record)
    here.jobs.judged_committed(moderation_id, replace(judged, record=record), outcome)
    return outcome

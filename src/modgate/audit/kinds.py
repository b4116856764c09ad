"""Every kind of audit entry, by name, with when it is written.

A kind is part of the audit trail's public vocabulary (exports, the API's ``kind`` filter, the
auditor's page): add kinds, never rename them. ``append`` refuses a kind that is not here, so a
misspelt kind fails the test that writes it instead of hiding from searches.

The moderation kinds are the names of the domain events (``modgate.events``) that write them.
"""

from __future__ import annotations

from collections.abc import Mapping

KINDS: Mapping[str, str] = {
    # One item's way: upload → detection → decision → reviews → appeal.
    "moderation.created": "media or a text was accepted and its moderation queued (the upload)",
    "moderation.completed": "the automatic decision was committed (or processing failed for good)",
    "review.created": "a review was opened for a moderation",
    "review.verdict": "a reviewer submitted a verdict on a review task",
    "review.completed": "the reviewers' verdicts were consolidated into the final action",
    "review.escalated": "reviewers disagreed and the review went to the senior queue",
    "appeal.created": "a decided moderation was appealed",
    "appeal.resolved": "an appeal was decided: upheld or overturned",
    "quality.checked": "a blind quality check of an automatic decision was done (it stands)",
    "preview.revealed": "a reviewer looked at the clear (unblurred) preview of a task's media",
    "media.clear_read": "an API client was sent clear (unblurred) pixels of media",
    # Live streams.
    "stream.created": "a client asked for a live stream to be moderated",
    "stream.held": "a worker took a live stream up (the first, or one taking over)",
    "stream.segment.started": "a label appeared in a live stream",
    "stream.segment.ended": "a label went away from a live stream (or the stream ended)",
    "stream.action": "the policy asked for an action on a live stream",
    "stream.ended": "a live stream ended, was stopped or failed, with its reason",
    "stream.thumbnail_read": "an API client was sent the clear picture of a stream's segment",
    # Policies.
    "policy.saved": "a policy version was stored",
    "policy.tested": "a policy version's test cases were run",
    "policy.backtested": "a policy version was backtested against stored history",
    "policy.approved": "a policy editor approved a version for activation",
    "policy.activated": "a policy version was activated on a surface (or shadow started)",
    "policy.rolled_back": "a surface went back to its previous policy version",
    # Accounts, keys and webhooks.
    "user.created": "a console user was added",
    "user.changed": "a console user's role, queues, password or enabled state changed",
    "api_key.created": "an API key was created",
    "api_key.revoked": "an API key was revoked",
    "webhook.created": "a webhook endpoint was added",
    "webhook.changed": "a webhook endpoint was changed",
    "webhook.deleted": "a webhook endpoint was removed",
    # Hash banks.
    "custom_label.training_started": "a custom label's training job started (a new version)",
    "custom_label.trained": "a custom label's training ended: live, rejected by shadow, or failed",
    "bank.created": "a hash bank was made",
    "bank.changed": "a hash bank's settings changed",
    "bank.deleted": "a hash bank was deleted with its content",
    "bank.content_added": "content was added to a hash bank (upload, id, hash or verdict)",
    "bank.content_changed": "a bank content was turned on or off, or its note changed",
    "bank.content_removed": "a bank content was removed (by hand, or an appeal overturned it)",
    "bank.imported": "entries were imported into hash banks, all in one transaction",
    # Jobs, retention, sign-in.
    "job.cancelled": "a moderation's job was cancelled",
    "job.retried": "a failed job was queued again",
    "retention.changed": "a tenant's retention settings were changed",
    "rekognition.job.completed": "a video job started through the Rekognition API ended "
    "(the notice its NotificationChannel gets)",
    "retention.deleted": "media bytes were deleted by the retention schedule",
    "media.erased": "media bytes and personal fields were erased on request",
    "sign_in.succeeded": "a console user signed in",
    "sign_in.failed": "a console sign-in was refused",
}

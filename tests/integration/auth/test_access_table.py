"""Who may call what, written out by hand: every route × every kind of caller → the status.

The table is the intended access of docs/review.md ("Accounts, roles and keys", "Access") and
README, not what the routes declare: a route that asks for the wrong scope or lets in the wrong
role disagrees with its row. A route without a row (compared with ``app.routes``) fails too, so
every new route gets one. Requests go over real HTTP to a live server, once with API keys
required and once with ``auth.api_keys_required=false``; no answer may be a 5xx.

Columns, in order (``-``: not applicable, the route needs no scope):

    ano  anonymous: no credentials
    non  an API key with no scopes
    all  an API key with every scope
    onl  an API key with exactly the route's scope(s)
    oth  an API key with every scope but the route's
    rev  a revoked API key
    adm, edi, rvw, snr, aud: a console user (admin, policy_editor, reviewer, senior_reviewer,
         auditor) signed in through the sign-in form: session cookie, CSRF token on POST

Each route gets one fixed request (below ``REQUEST_BODIES``; path parameters name things that
do not exist), so "let in" shows as what the route answers for it: 200, 303, or a 400 or 404
from the route itself (a 404 must not be the router's). A row whose route has a query asks for
clear pixels: its scope is the route's plus ``media:read_clear``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.routing import iter_route_contexts

from modgate.app import create_app
from modgate.auth.models import ROLES, SCOPES
from modgate.auth.service import AuthService
from modgate.auth.tables import ApiKeyRow
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer

PASSWORD = "correct horse battery"
ANONYMOUS, NO_SCOPES, ALL_SCOPES = "anonymous", "key without scopes", "key with every scope"
ONLY, OTHERS, REVOKED = "key with only the scope", "key with every other scope", "revoked key"
COLUMNS = (ANONYMOUS, NO_SCOPES, ALL_SCOPES, ONLY, OTHERS, REVOKED, *ROLES)
SIGNED_IN = set(ROLES)


@dataclass(frozen=True)
class Row:
    route: str  # "METHOD /path/template", with a query for the clear variant of a route
    scope: str | None  # space-separated when a call needs several
    cells: str  # one status (or -) per column, in COLUMNS order

    def expected(self) -> dict[str, int | None]:
        values = self.cells.split()
        assert len(values) == len(COLUMNS), f"{self.route}: {len(values)} cells"
        return {c: None if v == "-" else int(v) for c, v in zip(COLUMNS, values, strict=True)}


# API keys required (the default).
# fmt: off
TABLE = (
    #    ano non all onl oth rev  adm edi rvw snr aud
    Row("POST /v1/moderations", "moderations:write",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/moderations", "moderations:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("GET /v1/moderations/{moderation_id}", "moderations:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/moderations/{moderation_id}/labels", "moderations:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/moderations/{moderation_id}/thumbnails/{timestamp_ms}", "moderations:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/moderations/{moderation_id}/decision", "moderations:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /v1/decisions", "moderations:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("POST /v1/moderations/{moderation_id}/appeal", "appeals:write",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/review/queues", "review:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("GET /v1/metrics/summary", "metrics:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("GET /v1/metrics/tuning", "metrics:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    # The Prometheus scrape (MODGATE_METRICS__PROMETHEUS=key, the default): an API key with
    # metrics:read, as for /v1; console sessions do not count.
    Row("GET /metrics", "metrics:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("POST /v1/media", "media:write",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/media/{media_id}", "media:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/media/{media_id}/preview", "media:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /v1/media/{media_id}/erasure", "media:erase",
        "401 403 404 404 403 401  401 401 401 401 401"),
    # Clear pixels need media:read_clear on top of the route's scope.
    Row("GET /v1/media/{media_id}/preview?blurred=false", "media:read media:read_clear",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/moderations/{moderation_id}/thumbnails/{timestamp_ms}?blurred=false",
        "moderations:read media:read_clear",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /v1/webhooks", "webhooks:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/webhooks", "webhooks:manage",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("DELETE /v1/webhooks/{endpoint_id}", "webhooks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/webhooks/{endpoint_id}/deliveries", "webhooks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /v1/streams", "streams:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/streams", "streams:manage",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("GET /v1/streams/{stream_id}", "streams:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /v1/streams/{stream_id}/stop", "streams:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/streams/{stream_id}/segments/{segment_id}/thumbnail", "streams:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/streams/{stream_id}/segments/{segment_id}/thumbnail?blurred=false",
        "streams:manage media:read_clear",
        "401 403 404 404 403 401  401 401 401 401 401"),
    # Hash banks: modgate's own API, then HMA's (OpenMediaMatch) under /hma.
    # Custom labels: training jobs.
    Row("POST /v1/custom-labels", "labels:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/custom-labels/{job_id}", "labels:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/banks", "banks:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("POST /v1/banks", "banks:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("POST /v1/banks/import", "banks:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/banks/{bank_name}", "banks:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("PATCH /v1/banks/{bank_name}", "banks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("DELETE /v1/banks/{bank_name}", "banks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/banks/{bank_name}/contents", "banks:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /v1/banks/{bank_name}/contents", "banks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/banks/{bank_name}/export", "banks:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /v1/bank-contents/{content_id}", "banks:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("PATCH /v1/bank-contents/{content_id}", "banks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("DELETE /v1/bank-contents/{content_id}", "banks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("GET /hma/status", "banks:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("POST /hma/h/hash", "banks:read",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /hma/m/lookup", "banks:read",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("POST /hma/m/lookup", "banks:read",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /hma/c/banks", "banks:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("POST /hma/c/banks", "banks:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /hma/c/bank/{bank_name}", "banks:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("DELETE /hma/c/bank/{bank_name}", "banks:manage",
        "401 403 404 404 403 401  401 401 401 401 401"),
    Row("POST /hma/c/bank/{bank_name}/content", "banks:manage",
        "401 403 400 400 403 401  401 401 401 401 401"),
    # The audit log: auditors' keys read their tenant's entries, proofs and checkpoints.
    Row("GET /v1/audit", "audit:read",
        "401 403 200 200 403 401  401 401 401 401 401"),
    Row("GET /v1/audit/proofs/inclusion", "audit:read",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/audit/proofs/consistency", "audit:read",
        "401 403 400 400 403 401  401 401 401 401 401"),
    Row("GET /v1/audit/checkpoints/latest", "audit:read",
        "401 403 404 404 403 401  401 401 401 401 401"),
    # The console: sign-in is public; everything else needs a signed-in user. Every role sees
    # the queue figures; only reviewers and senior reviewers work on tasks and have "my stats".
    Row("GET /console/login", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
    Row("POST /console/login", None,
        "303 303 303   -   - 303  303 303 303 303 303"),
    Row("POST /console/logout", None,
        "401 401 401   -   - 401  303 303 303 303 303"),
    Row("GET /console", None,
        "401 401 401   -   - 401  200 200 200 200 200"),
    Row("GET /console/me", None,
        "401 401 401   -   - 401  403 403 200 200 403"),
    # The audit log's pages are the auditor's.
    Row("GET /console/audit", None,
        "401 401 401   -   - 401  403 403 403 403 200"),
    Row("GET /console/audit/history", None,
        "401 401 401   -   - 401  403 403 403 403 200"),
    # The metrics dashboard: admins, policy editors and auditors.
    Row("GET /console/metrics", None,
        "401 401 401   -   - 401  200 200 403 403 200"),
    Row("GET /console/metrics/series", None,
        "401 401 401   -   - 401  200 200 403 403 200"),
    Row("GET /console/metrics/tuning", None,
        "401 401 401   -   - 401  200 200 403 403 200"),
    # Custom labels and their versions: read by those who read policies (which name them).
    Row("GET /console/labels", None,
        "401 401 401   -   - 401  200 200 403 403 200"),
    Row("POST /console/claim", None,
        "401 401 401   -   - 401  403 403 303 303 403"),
    Row("GET /console/tasks/{task_id}", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("POST /console/tasks/{task_id}/verdict", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("POST /console/tasks/{task_id}/release", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("POST /console/tasks/{task_id}/skip", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("POST /console/tasks/{task_id}/reveal", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("GET /console/tasks/{task_id}/preview", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("GET /console/tasks/{task_id}/media", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("GET /console/tasks/{task_id}/thumbnails/{timestamp_ms}", None,
        "401 401 401   -   - 401  403 403 404 404 403"),
    Row("GET /console/static", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
    # Admin pages: accounts, API keys, webhook endpoints and retention are the admin's alone.
    Row("GET /console/admin/users", None,
        "401 401 401   -   - 401  200 403 403 403 403"),
    Row("POST /console/admin/users", None,
        "401 401 401   -   - 401  400 403 403 403 403"),
    Row("POST /console/admin/users/{username}/role", None,
        "401 401 401   -   - 401  400 403 403 403 403"),
    Row("POST /console/admin/users/{username}/disabled", None,
        "401 401 401   -   - 401  404 403 403 403 403"),
    Row("POST /console/admin/users/{username}/password", None,
        "401 401 401   -   - 401  400 403 403 403 403"),
    Row("GET /console/admin/keys", None,
        "401 401 401   -   - 401  200 403 403 403 403"),
    Row("POST /console/admin/keys", None,
        "401 401 401   -   - 401  400 403 403 403 403"),
    Row("POST /console/admin/keys/{key_id}/revoke", None,
        "401 401 401   -   - 401  404 403 403 403 403"),
    Row("GET /console/admin/webhooks", None,
        "401 401 401   -   - 401  200 403 403 403 403"),
    Row("POST /console/admin/webhooks", None,
        "401 401 401   -   - 401  400 403 403 403 403"),
    Row("POST /console/admin/webhooks/{endpoint_id}/delete", None,
        "401 401 401   -   - 401  404 403 403 403 403"),
    Row("GET /console/admin/retention", None,
        "401 401 401   -   - 401  200 403 403 403 403"),
    Row("POST /console/admin/retention", None,
        "401 401 401   -   - 401  400 403 403 403 403"),
    # Policy pages: editors (and admins) change policies; auditors read the pages.
    Row("GET /console/policies", None,
        "401 401 401   -   - 401  200 200 403 403 200"),
    Row("POST /console/policies", None,
        "401 401 401   -   - 401  400 400 403 403 403"),
    Row("GET /console/policies/{version}", None,
        "401 401 401   -   - 401  404 404 403 403 404"),
    Row("POST /console/policies/{version}/cases", None,
        "401 401 401   -   - 401  404 404 403 403 403"),
    Row("POST /console/policies/{version}/backtest", None,
        "401 401 401   -   - 401  404 404 403 403 403"),
    Row("POST /console/policies/{version}/approve", None,
        "401 401 401   -   - 401  404 404 403 403 403"),
    Row("POST /console/policies/{version}/activate", None,
        "401 401 401   -   - 401  404 404 403 403 403"),
    Row("GET /console/policies/{version}/backtests/{backtest_id}", None,
        "401 401 401   -   - 401  404 404 403 403 404"),
    Row("POST /console/policies/surfaces/{surface}/rollback", None,
        "401 401 401   -   - 401  409 409 403 403 403"),
    # Rekognition's wire protocol: AWS credentials (SigV4) only, never an API key or a console
    # session; an unsigned request is the SDK's MissingAuthenticationTokenException (400),
    # a bearer key InvalidSignatureException (400). Signed calls: tests/integration/rekognition.
    Row("POST /", None,
        "400 400 400   -   - 400  400 400 400 400 400"),
    # Public: health and the API's documentation.
    Row("GET /healthz", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
    Row("GET /openapi.json", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
    Row("GET /docs", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
    Row("GET /docs/oauth2-redirect", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
    Row("GET /redoc", None,
        "200 200 200   -   - 200  200 200 200 200 200"),
)
# fmt: on

# With ``auth.api_keys_required=false`` every /v1 route lets in a call without a key (and so a
# console user, whose cookie the API ignores); a key that is sent is still checked, so a
# revoked key or a key without the scope is refused. The console and public rows are TABLE's.
# fmt: off
OPEN_V1 = (
    #    ano non all onl oth rev  adm edi rvw snr aud
    Row("POST /v1/moderations", "moderations:write",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/moderations", "moderations:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("GET /v1/moderations/{moderation_id}", "moderations:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/moderations/{moderation_id}/labels", "moderations:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/moderations/{moderation_id}/thumbnails/{timestamp_ms}", "moderations:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/moderations/{moderation_id}/decision", "moderations:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /v1/decisions", "moderations:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("POST /v1/moderations/{moderation_id}/appeal", "appeals:write",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/review/queues", "review:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("GET /v1/metrics/summary", "metrics:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("GET /v1/metrics/tuning", "metrics:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("POST /v1/media", "media:write",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/media/{media_id}", "media:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/media/{media_id}/preview", "media:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /v1/media/{media_id}/erasure", "media:erase",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/audit", "audit:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("GET /v1/audit/proofs/inclusion", "audit:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/audit/proofs/consistency", "audit:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/audit/checkpoints/latest", "audit:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/media/{media_id}/preview?blurred=false", "media:read media:read_clear",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/moderations/{moderation_id}/thumbnails/{timestamp_ms}?blurred=false",
        "moderations:read media:read_clear",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /v1/webhooks", "webhooks:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/webhooks", "webhooks:manage",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("DELETE /v1/webhooks/{endpoint_id}", "webhooks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/webhooks/{endpoint_id}/deliveries", "webhooks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /v1/streams", "streams:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/streams", "streams:manage",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("GET /v1/streams/{stream_id}", "streams:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /v1/streams/{stream_id}/stop", "streams:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/streams/{stream_id}/segments/{segment_id}/thumbnail", "streams:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/streams/{stream_id}/segments/{segment_id}/thumbnail?blurred=false",
        "streams:manage media:read_clear",
        "404 403 404 404 403 401  404 404 404 404 404"),
    # Custom labels: training jobs.
    Row("POST /v1/custom-labels", "labels:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/custom-labels/{job_id}", "labels:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/banks", "banks:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("POST /v1/banks", "banks:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("POST /v1/banks/import", "banks:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/banks/{bank_name}", "banks:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("PATCH /v1/banks/{bank_name}", "banks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("DELETE /v1/banks/{bank_name}", "banks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/banks/{bank_name}/contents", "banks:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /v1/banks/{bank_name}/contents", "banks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/banks/{bank_name}/export", "banks:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("GET /v1/bank-contents/{content_id}", "banks:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("PATCH /v1/bank-contents/{content_id}", "banks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("DELETE /v1/bank-contents/{content_id}", "banks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),    Row("GET /v1/audit", "audit:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("GET /v1/audit/proofs/inclusion", "audit:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/audit/proofs/consistency", "audit:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /v1/audit/checkpoints/latest", "audit:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
)
# fmt: on

# HMA's API under /hma follows the same rule as /v1 with keys optional.
# fmt: off
OPEN_HMA = (
    #    ano non all onl oth rev  adm edi rvw snr aud
    Row("GET /hma/status", "banks:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("POST /hma/h/hash", "banks:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /hma/m/lookup", "banks:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("POST /hma/m/lookup", "banks:read",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /hma/c/banks", "banks:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
    Row("POST /hma/c/banks", "banks:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
    Row("GET /hma/c/bank/{bank_name}", "banks:read",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("DELETE /hma/c/bank/{bank_name}", "banks:manage",
        "404 403 404 404 403 401  404 404 404 404 404"),
    Row("POST /hma/c/bank/{bank_name}/content", "banks:manage",
        "400 403 400 400 403 401  400 400 400 400 400"),
)
# fmt: on

# The scrape follows the /v1 rule too when keys are optional.
# fmt: off
OPEN_SCRAPE = (
    #    ano non all onl oth rev  adm edi rvw snr aud
    Row("GET /metrics", "metrics:read",
        "200 403 200 200 403 401  200 200 200 200 200"),
)
# fmt: on

# What each route is sent; path parameters not named here are "missing".
PATH_VALUES = {"timestamp_ms": "0", "content_id": "0"}
REQUEST_BODIES: dict[str, dict[str, Any]] = {
    "POST /v1/moderations": {"json": {}},
    "POST /v1/moderations/{moderation_id}/appeal": {"json": {"statement": "It is art."}},
    "POST /v1/decisions": {"json": {"items": [{"moderation_id": "missing"}]}},
    "POST /v1/webhooks": {"json": {}},
    "POST /v1/streams": {"json": {}},
    "POST /v1/banks": {"json": {}},
    "POST /v1/custom-labels": {"json": {"name": "Nothing To Learn"}},
    "PATCH /v1/banks/{bank_name}": {"json": {}},
    "POST /v1/banks/{bank_name}/contents": {"json": {"signal_type": "pdq", "signal": "0" * 64}},
    "PATCH /v1/bank-contents/{content_id}": {"json": {}},
    "POST /hma/c/banks": {"json": {}},
    "POST /": {
        "json": {},
        "headers": {"X-Amz-Target": "RekognitionService.DetectModerationLabels"},
    },
    "POST /console/claim": {"data": {"queue": "none"}},
    "POST /console/tasks/{task_id}/verdict": {"data": {"action": "allow"}},
}
DENIED_CODES = {
    401: {"AuthenticationRequiredException", "SignInRequired"},
    403: {"AccessDeniedException"},
}


def served_routes(app: Any) -> set[str]:
    """Every route the app serves as "METHOD /path" (HEAD goes with GET; a mount is a GET)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        for method in (context.methods or {"GET"}) - {"HEAD"}:
            found.add(f"{method} {context.path}")
    return found


@dataclass
class Server:
    app: Any
    client: httpx.Client
    keys: dict[str, str]  # by column; ONLY and OTHERS as "<column>:<scope>"
    sessions: dict[str, tuple[str, str]]  # role → (session cookie, CSRF token)

    def sign_in(self, username: str) -> tuple[str, str]:
        """Sign in through the form as a browser does: the form's token, then the post."""
        token, cookie = self.login_form()
        signed = self.client.post(
            "/console/login",
            headers={"Cookie": f"modgate_login_csrf={cookie}"},
            data={"username": username, "password": PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 303, signed.text
        session = signed.cookies["modgate_session"]
        page = self.client.get("/console", headers={"Cookie": f"modgate_session={session}"})
        self.client.cookies.clear()
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert csrf, page.text
        return session, csrf.group(1)

    def login_form(self) -> tuple[str, str]:
        page = self.client.get("/console/login")
        self.client.cookies.clear()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        return token.group(1), page.cookies["modgate_login_csrf"]


def _serve(tmp: Path, keys_required: bool) -> Iterator[Server]:
    settings = load_settings(
        data_dir=tmp / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": keys_required},
    )
    services = Services.build(settings)
    # A cheap password hash: the sign-in form is what is exercised, not argon2's cost.
    auth = AuthService(
        services.sessions,
        settings.auth,
        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )
    services.auth = auth
    keys = {ALL_SCOPES: auth.create_key("all", SCOPES, actor="cli:tests@localhost")[0]}
    for scope in {row.scope for row in TABLE if row.scope}:
        needed = scope.split()
        keys[f"{ONLY}:{scope}"] = auth.create_key("only", needed, actor="cli:tests@localhost")[0]
        keys[f"{OTHERS}:{scope}"] = auth.create_key(
            "others", [s for s in SCOPES if s not in needed], actor="cli:tests@localhost"
        )[0]
    revoked, revoked_key = auth.create_key("revoked", SCOPES, actor="cli:tests@localhost")
    auth.revoke_key(revoked_key.id, actor="cli:tests@localhost")
    keys[REVOKED] = revoked
    # ``modgate keys create`` refuses an empty scope list; a key can still end up with none
    # (its scopes removed in the database), and it must be refused everywhere.
    keys[NO_SCOPES], empty = auth.create_key("none", ["media:read"], actor="cli:tests@localhost")
    with services.sessions.begin() as session:
        session.execute(sa.update(ApiKeyRow).where(ApiKeyRow.id == empty.id).values(scopes=[]))
    for role in ROLES:
        auth.add_user(role.replace("_", "-"), PASSWORD, role, ["*"], actor="cli:tests@localhost")
    app = create_app(settings, services)
    with LiveServer(app) as live, httpx.Client(base_url=live.url) as client:
        server = Server(app, client, keys, {})
        server.sessions = {role: server.sign_in(role.replace("_", "-")) for role in ROLES}
        yield server
    services.close()


@pytest.fixture(scope="module")
def required(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory.mktemp("keys-required"), keys_required=True)


@pytest.fixture(scope="module")
def optional(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory.mktemp("keys-optional"), keys_required=False)


def _call(server: Server, row: Row, column: str) -> httpx.Response:
    method, template = row.route.split(" ", 1)
    path = re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m.group(1), "missing"), template)
    if template == "/console/static":
        path = "/console/static/console.css"
    headers = {"Accept": "application/json"}
    cookies = []
    key = server.keys.get(column) or server.keys.get(f"{column}:{row.scope}")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if column in SIGNED_IN:
        # Signing out ends the session: that row signs in afresh.
        session, csrf = (
            server.sign_in(column.replace("_", "-"))
            if row.route == "POST /console/logout"
            else server.sessions[column]
        )
        cookies.append(f"modgate_session={session}")
        headers["X-CSRF-Token"] = csrf
    body = dict(REQUEST_BODIES.get(row.route, {}))
    headers |= body.pop("headers", {})
    if row.route == "POST /console/login":
        # The public sign-in form, filled in with a real account's password.
        token, login_cookie = server.login_form()
        cookies.append(f"modgate_login_csrf={login_cookie}")
        body = {"data": {"username": "auditor", "password": PASSWORD, "csrf_token": token}}
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    try:
        return server.client.request(method, path, headers=headers, **body)
    finally:
        server.client.cookies.clear()


def assert_access(server: Server, table: dict[str, Row]) -> None:
    wrong, observed = [], []
    for route, row in table.items():
        cells = []
        for column, expected in row.expected().items():
            if expected is None:
                cells.append("-")
                continue
            response = _call(server, row, column)
            status = response.status_code
            cells.append(str(status))
            answer = response.json() if status >= 400 else {}
            # The Rekognition endpoint answers in AWS's words: {"__type": …}.
            code = answer["error"]["code"] if "error" in answer else answer.get("__type")
            if status != expected or status >= 500:
                wrong.append(
                    f"{route} as {column}: {expected} expected, got {status} {response.text[:160]}"
                )
            elif status in DENIED_CODES and code not in DENIED_CODES[status]:
                if route != "POST /console/login":
                    wrong.append(f"{route} as {column}: {status} with code {code}")
            elif status == 404 and code == "NotFound":
                wrong.append(f"{route} as {column}: the router's 404, not the route's")
        keys, console = (" ".join(f"{cell:>3}" for cell in part) for part in (cells[:6], cells[6:]))
        observed.append(f'        "{keys}  {console}"  {route}')
    assert not wrong, "\n".join([*wrong, "", "Every row as served:", *observed])


def test_every_served_route_has_a_row(required: Server) -> None:
    rows = {row.route for row in TABLE if "?" not in row.route}
    served = served_routes(required.app)
    assert served - rows == set(), "routes without a row in TABLE"
    assert rows - served == set(), "rows of routes the app does not serve"
    open_rows = {row.route for row in OPEN_V1}
    assert {route.split("?")[0] for route in open_rows} == {r for r in served if " /v1/" in r}
    assert {row.route for row in TABLE if " /v1/" in row.route} == open_rows
    hma = {row.route for row in OPEN_HMA}
    assert hma == {r for r in served if " /hma/" in r}
    assert {row.route for row in TABLE if " /hma/" in row.route} == hma
    assert len(TABLE) == len({row.route for row in TABLE}), "a route has two rows"
    assert {s for row in TABLE for s in (row.scope or "").split()} == set(SCOPES), "unused scope"


def test_console_forms_need_the_csrf_token(required: Server) -> None:
    for row in TABLE:
        if not row.route.startswith("POST /console/") or row.route == "POST /console/login":
            continue
        # Signed in with a role the route lets in, with a forged token.
        role = next(
            column
            for column, status in row.expected().items()
            if column in SIGNED_IN and status not in (401, 403)
        )
        session, _csrf = required.sessions[role]
        method, path = re.sub(r"\{[^}]+\}", "missing", row.route).split(" ", 1)
        response = required.client.request(
            method,
            path,
            headers={"Cookie": f"modgate_session={session}"},
            data={"csrf_token": "forged"},
        )
        required.client.cookies.clear()
        assert response.status_code == 403, (row.route, response.text)
        assert response.json()["error"]["code"] == "CsrfTokenException"


def test_sign_in_needs_its_form_token_and_a_browser_is_sent_to_sign_in(
    required: Server,
) -> None:
    client = required.client
    refused = client.post(
        "/console/login",
        data={"username": "reviewer", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert refused.status_code == 403
    page = client.get("/console", headers={"Accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=/console"
    token, cookie = required.login_form()
    bad = client.post(
        "/console/login",
        headers={"Cookie": f"modgate_login_csrf={cookie}"},
        data={"username": "reviewer", "password": "not it at all", "csrf_token": token},
    )
    client.cookies.clear()
    assert bad.status_code == 303 and "error=1" in bad.headers["location"]


def test_access_with_api_keys_required(required: Server) -> None:
    assert_access(required, {row.route: row for row in TABLE})


def test_access_with_api_keys_optional(optional: Server) -> None:
    table = {row.route: row for row in TABLE}
    for row in (*OPEN_V1, *OPEN_HMA, *OPEN_SCRAPE):
        assert row.route in table and row.scope == table[row.route].scope, row.route
        table[row.route] = row
    assert_access(optional, table)

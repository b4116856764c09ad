"""The dashboard's tuning curves (``/console/metrics/tuning``): the same computation as
``GET /v1/metrics/tuning`` and ``modgate policy tune``, over the dashboard's period (the last
``DASHBOARD_DAYS`` days) and the policy deciding a surface, for ``tuning.js`` to draw."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from modgate.auth.deps import require_permission
from modgate.auth.models import User
from modgate.metrics.routes import Share, policy_to_tune
from modgate.metrics.service import MetricsService
from modgate.policy.tuning import Targets, TuningQuery
from modgate.tenants import DEFAULT_TENANT, checked_tenant

DASHBOARD_DAYS = 30  # the dashboard's period: the last 30 days
router = APIRouter(prefix="/console/metrics", tags=["console"], include_in_schema=False)
Watcher = Annotated[User, Depends(require_permission("metrics:view"))]


@router.get("/tuning")
async def tuning_curves(
    request: Request,
    user: Watcher,
    tenant: str = DEFAULT_TENANT,
    surface: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    target_precision: Share = None,
    target_recall: Share = None,
    max_review_ratio: Share = None,
) -> JSONResponse:
    """Per category: precision and recall by threshold, and what the targets make of the
    thresholds of the policy deciding ``surface``."""
    service: MetricsService = request.app.state.services.metrics
    until = service.clock()
    since = until - dt.timedelta(days=DASHBOARD_DAYS)
    query = TuningQuery(checked_tenant(tenant), since, until, surface)
    targets = Targets(target_precision, target_recall, max_review_ratio)
    policy = policy_to_tune(request, None, surface)
    report = await run_in_threadpool(service.tuning, policy, query, targets)
    return JSONResponse(report.to_dict())

"""HTTP API of operations metrics: ``GET /v1/metrics/summary`` and ``GET /v1/metrics/tuning``
(scope ``metrics:read``, the caller's tenant only) and the Prometheus scrape ``/metrics`` (as
``metrics.prometheus`` says)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response

from modgate.auth.deps import public, require_scopes, tenant_of
from modgate.errors import InvalidParameterException, PolicyVersionNotFoundException
from modgate.metrics.service import MetricsService
from modgate.metrics.settings import MetricsSettings
from modgate.metrics.summary import SummaryQuery
from modgate.openapi import schemas
from modgate.openapi.params import IsoDateTime
from modgate.openapi.responses import errors, ok
from modgate.policy.model import Policy
from modgate.policy.tuning import Targets, TuningQuery
from modgate.telemetry import CONTENT_TYPE

router = APIRouter(tags=["metrics"])
Name = Annotated[str | None, Query(min_length=1, max_length=64)]


def _service(request: Request) -> MetricsService:
    service: MetricsService = request.app.state.services.metrics
    return service


@router.get(
    "/v1/metrics/summary",
    summary="What the automation and the reviewers did over a period, for your tenant",
    operation_id="getMetricsSummary",
    response_model=None,
    responses={**ok(200, schemas.MetricsSummary), **errors(InvalidParameterException)},
    dependencies=[Depends(require_scopes("metrics:read"))],
)
def metrics_summary(
    request: Request,
    since: Annotated[
        IsoDateTime | None, Query(description="Start (ISO 8601, inclusive); none: all time.")
    ] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="End (ISO 8601, exclusive); none: now.")
    ] = None,
    surface: Name = None,
    region: Name = None,
    queue: Name = None,
) -> dict[str, Any]:
    start, end = since, until
    if start is not None and end is not None and start >= end:
        raise InvalidParameterException("since must be before until.")
    query = SummaryQuery(tenant_of(request), start, end, surface, region, queue)
    return _service(request).summary(query)


Share = Annotated[float | None, Query(ge=0, le=1)]


@router.get(
    "/v1/metrics/tuning",
    summary="Precision and recall by threshold per category, and the thresholds targets allow",
    operation_id="getMetricsTuning",
    response_model=None,
    responses={
        **ok(200, schemas.MetricsTuning),
        **errors(InvalidParameterException, PolicyVersionNotFoundException),
    },
    dependencies=[Depends(require_scopes("metrics:read"))],
)
def metrics_tuning(
    request: Request,
    policy: Annotated[
        str | None,
        Query(
            min_length=4,
            max_length=64,
            pattern="^[0-9a-f]+$",
            description="A stored policy version (or a prefix); none: the surface's active one.",
        ),
    ] = None,
    surface: Name = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Decisions from (ISO 8601, inclusive).")
    ] = None,
    until: Annotated[IsoDateTime | None, Query(description="Decisions before (exclusive).")] = None,
    target_precision: Share = None,
    target_recall: Share = None,
    max_review_ratio: Share = None,
    confidence: Annotated[float, Query(ge=0.5, le=0.999)] = 0.95,
    category: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> dict[str, Any]:
    """The tenant's checked decisions as weighted precision–recall curves of the policy's
    categories, with what the targets make of its thresholds (``modgate policy tune``)."""
    if since is not None and until is not None and since >= until:
        raise InvalidParameterException("since must be before until.")
    query = TuningQuery(tenant_of(request), since, until, surface)
    targets = Targets(target_precision, target_recall, max_review_ratio, confidence)
    found = policy_to_tune(request, policy, surface)
    categories = (category,) if category else ()
    return _service(request).tuning(found, query, targets, categories=categories).to_dict()


def policy_to_tune(request: Request, version: str | None, surface: str | None) -> Policy:
    """The stored ``version``, else the policy deciding ``surface`` (everyone's: policies
    belong to no tenant, only their history does)."""
    resolver = request.app.state.services.pipeline.policies
    found: Policy | None = resolver.pinned(version) if version else resolver.for_surface(surface)[0]
    if found is None:
        raise PolicyVersionNotFoundException("No policy is active: name a stored version.")
    return found


def scrape_response(service: MetricsService) -> Response:
    return Response(service.scrape(), media_type=CONTENT_TYPE)


def install_prometheus(app: FastAPI, settings: MetricsSettings) -> None:
    """Serve ``/metrics`` on the API as ``settings.prometheus`` says: to API keys with
    ``metrics:read`` ('key') or to anyone ('open'); 'port' and 'off' add nothing here."""
    if settings.prometheus not in ("key", "open"):
        return
    guard = require_scopes("metrics:read") if settings.prometheus == "key" else public

    # Not in the OpenAPI document: it is Prometheus's text format, and whether it is served
    # (and to whom) depends on the settings, which the document never does.
    @app.get("/metrics", dependencies=[Depends(guard)], include_in_schema=False)
    def metrics(request: Request) -> Response:
        return scrape_response(_service(request))

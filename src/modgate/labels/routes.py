"""HTTP routes of custom labels: ``POST /v1/custom-labels`` starts a training job (scope
``labels:manage``), ``GET /v1/custom-labels/{job_id}`` reads its state and metrics (scope
``labels:read``). Jobs belong to the caller's tenant; another tenant's is not found (404).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from modgate import audit
from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import CustomLabelNotFoundException, InvalidCustomLabelException
from modgate.labels.evaluation import training_request
from modgate.labels.models import version_public
from modgate.labels.service import CustomLabelService
from modgate.openapi import schemas
from modgate.openapi.responses import errors, link, ok

router = APIRouter(prefix="/v1", tags=["custom labels"])
READ = Depends(require_scopes("labels:read"))
MANAGE = Depends(require_scopes("labels:manage"))
# Bodies stay under the small-body limit (64 KiB): many examples go by stored media id; texts
# given inline are for a handful of short ones (store longer or more texts as media first).
MAX_MEDIA_IDS = 1000
MAX_TEXTS = 25
MediaIds = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=MAX_MEDIA_IDS)]
Texts = Annotated[list[Annotated[str, Field(max_length=1000)]], Field(max_length=MAX_TEXTS)]


class CustomLabelTrain(BaseModel):
    """Train a new version of ``name``. ``source: examples`` learns from stored media (images
    or texts, by media id) or from texts given here; ``source: verdicts`` from the live
    version's examples plus what reviewers said since."""

    name: str = Field(max_length=64, examples=["Landscape Photo"])
    kind: Literal["image", "text"] = "image"
    parent: str | None = Field(default=None, max_length=128, description="A v7 label or none.")
    backbone: str | None = Field(default=None, max_length=40)
    source: Literal["examples", "verdicts"] = "examples"
    positive_media_ids: MediaIds = []
    negative_media_ids: MediaIds = []
    positive_texts: Texts = []
    negative_texts: Texts = []


def labels_of(request: Request) -> CustomLabelService:
    service: CustomLabelService = request.app.state.services.labels
    return service


def actor_of(request: Request) -> str:
    key = getattr(request.state, "api_key", None)
    return audit.key_actor(key.id if key is not None else None)


@router.post(
    "/custom-labels",
    status_code=202,
    summary="Start training a custom label (a new version)",
    operation_id="trainCustomLabel",
    response_model=None,
    responses={
        **ok(
            202,
            schemas.CustomLabelJob,
            links={"GetCustomLabelJob": link("getCustomLabelJob", job_id="$response.body#/id")},
        ),
        **errors(InvalidCustomLabelException, CustomLabelNotFoundException),
    },
    dependencies=[MANAGE],
)
def train_custom_label(request: Request, body: CustomLabelTrain) -> dict[str, Any]:
    service = labels_of(request)
    tenant, actor = tenant_of(request), actor_of(request)
    if body.source == "verdicts":
        label, reviewed, base = service.reviewed(tenant, body.name)
        version = service.submit(
            label,
            reviewed.positives,
            reviewed.negatives,
            actor,
            "verdicts",
            service.store.examples(base),
            request=training_request(base_version=base.id),
        )
        return version_public(version)
    label = service.describe(tenant, body.name, body.kind, body.parent, body.backbone)
    # Read now so a wrong id is refused at once; the job reads them again when it trains.
    positives = service.media_items(tenant, body.positive_media_ids, label.kind)
    negatives = service.media_items(tenant, body.negative_media_ids, label.kind)
    texts = label.kind == "text"
    if texts:
        positives, negatives = (
            [*positives, *body.positive_texts],
            [*negatives, *body.negative_texts],
        )
    request_of_job = training_request(
        positive_media_ids=body.positive_media_ids,
        negative_media_ids=body.negative_media_ids,
        positive_texts=body.positive_texts if texts else (),
        negative_texts=body.negative_texts if texts else (),
    )
    return version_public(
        service.submit(label, positives, negatives, actor, request=request_of_job)
    )


@router.get(
    "/custom-labels/{job_id}",
    summary="A custom-label training job: state, metrics, model card, shadow evaluation",
    operation_id="getCustomLabelJob",
    response_model=None,
    responses={**ok(200, schemas.CustomLabelJob), **errors(CustomLabelNotFoundException)},
    dependencies=[READ],
)
def get_custom_label_job(
    request: Request, job_id: Annotated[str, Path(max_length=40)]
) -> dict[str, Any]:
    return version_public(labels_of(request).store.version(tenant_of(request), job_id))

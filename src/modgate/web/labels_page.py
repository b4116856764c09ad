"""The custom labels page of the console (``/console/labels``, permission ``policy:read``:
admins, policy editors, auditors): one tenant's custom labels (``?tenant=``, default
``default``) with every version — its state, the model card's cross-validated figures, and the
shadow evaluation that decided whether it went live. The page only reads; training is
``modgate labels`` or ``POST /v1/custom-labels``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modgate.auth.deps import require_permission
from modgate.auth.models import User
from modgate.detection.custom.store import CustomLabel, CustomLabelStore, LabelVersion
from modgate.tenants import DEFAULT_TENANT, checked_tenant
from modgate.web.pages import page

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
Reader = Annotated[User, Depends(require_permission("policy:read"))]


def _labels_with_versions(
    store: CustomLabelStore, tenant: str
) -> list[tuple[CustomLabel, list[LabelVersion]]]:
    return [(label, store.versions(tenant, label.name)) for label in store.labels(tenant)]


@router.get("/labels")
async def labels_page(request: Request, user: Reader, tenant: str = DEFAULT_TENANT) -> Response:
    tenant = checked_tenant(tenant)
    store: CustomLabelStore = request.app.state.services.labels.store
    found = await run_in_threadpool(_labels_with_versions, store, tenant)
    return await page(request, "labels.html", user, tenant=tenant, labels=found)

"""Custom label operations (``/v1/custom-labels``): train a version of a label from examples and
follow its training job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypedDict, Unpack

from modgate.client.operations.call import Call, _id, _json, route
from modgate.client.types import CustomLabelJob


class CustomLabelExamples(TypedDict, total=False):
    """What a custom label learns from (``POST /v1/custom-labels``)."""

    kind: Literal["image", "text"]
    parent: str | None
    backbone: str | None
    source: Literal["examples", "verdicts"]
    positive_media_ids: Sequence[str]
    negative_media_ids: Sequence[str]
    positive_texts: Sequence[str]
    negative_texts: Sequence[str]


@route("POST", "/v1/custom-labels")
def train_custom_label(name: str, **examples: Unpack[CustomLabelExamples]) -> Call[CustomLabelJob]:
    """Start training a new version of the custom label ``name`` (scope ``labels:manage``):
    from stored media by id (or texts), or with ``source="verdicts"`` from reviewed history.
    Answers the job at once; poll ``get_custom_label_job`` until its status is not
    ``training``."""
    body = {
        key: list(value) if isinstance(value, list | tuple) else value
        for key, value in examples.items()
    }
    return Call("POST", "/v1/custom-labels", _json, json={"name": name, **body})


@route("GET", "/v1/custom-labels/{job_id}")
def get_custom_label_job(job_id: str) -> Call[CustomLabelJob]:
    """A training job: status, cross-validated metrics, model card, shadow evaluation."""
    return Call("GET", f"/v1/custom-labels/{_id(job_id)}", _json)

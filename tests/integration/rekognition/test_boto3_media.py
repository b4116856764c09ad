"""Pictures a Rekognition client sends that modgate's own pipeline reads differently (animated
PNGs, odd sizes, formats Rekognition refuses), through the unmodified boto3 client over real
HTTP: the answer is Rekognition's, never an internal error."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from PIL import Image

from modgate.app import create_app
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import RED
from servers import LiveServer


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("rekognition-media") / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
    )
    services = Services.build(settings)
    made, _ = services.auth.create_aws_key(
        "media", ["moderations:write", "moderations:read"], "acme", actor="cli:tests@localhost"
    )
    with LiveServer(create_app(settings, services)) as live:
        yield boto3.client(
            "rekognition",
            endpoint_url=live.url,
            region_name="eu-west-1",
            aws_access_key_id=made.access_key_id,
            aws_secret_access_key=made.secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )
    services.close()


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def _animated_png(*colours: tuple[int, int, int]) -> bytes:
    frames = [Image.new("RGB", (160, 160), colour) for colour in colours]
    out = io.BytesIO()
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def test_an_animated_png_answers_each_label_once(client: Any) -> None:
    """APNG is PNG to Rekognition; modgate reads its frames, and answers one picture's labels."""
    answer = client.detect_moderation_labels(
        Image={"Bytes": _animated_png(RED, (30, 90, 200), RED)}
    )
    names = [label["Name"] for label in answer["ModerationLabels"]]
    assert "Explicit" in names
    assert len(names) == len(set(names))
    assert all(label["Confidence"] >= 50 for label in answer["ModerationLabels"])
    clean = client.detect_moderation_labels(
        Image={"Bytes": _animated_png((30, 90, 200), (0, 0, 0))}
    )
    assert clean["ModerationLabels"] == []


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def test_an_image_under_80_pixels_on_a_side_is_refused_as_rekognition_does(client: Any) -> None:
    for width, height in ((79, 200), (200, 40), (20, 20)):
        code, status = _error(
            lambda w=width, h=height: client.detect_moderation_labels(Image={"Bytes": _png(w, h)})
        )
        assert (code, status) == ("InvalidParameterException", 400)
    assert client.detect_moderation_labels(Image={"Bytes": _png(80, 80)})["ModerationLabels"] == []


def test_a_body_past_the_largest_image_is_answered_as_rekognition_does(client: Any) -> None:
    """Refused before it is read, but in Rekognition's shape, so the SDK names the error."""
    body = b"\xff\xd8\xff" + bytes(16 * 1024 * 1024)
    code, status = _error(lambda: client.detect_moderation_labels(Image={"Bytes": body}))
    assert (code, status) == ("ImageTooLargeException", 400)


def test_an_image_over_10000_pixels_on_a_side_is_too_large_even_when_thin(client: Any) -> None:
    code, status = _error(
        lambda: client.detect_moderation_labels(Image={"Bytes": _png(10_001, 20)})
    )
    assert (code, status) == ("ImageTooLargeException", 400)

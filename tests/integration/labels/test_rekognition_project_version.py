"""Rekognition's ``ProjectVersion``, through boto3: the ARN-like id of a custom-label version
makes DetectModerationLabels answer that version's label, scored by that very version; another
tenant's version is not found."""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from custom_label_corpus import abstract_art, jpeg, photo_crops
from modgate.app import create_app
from modgate.labels.models import project_version_arn
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer

ACTOR = "cli:tests@localhost"


def test_project_version_names_a_custom_label_version(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
    )
    services = Services.build(settings)
    try:
        labels = services.labels
        photos = photo_crops(("astronaut", "coffee", "rocket"), 4, seed=11)
        art = abstract_art(12, seed=12)
        mine = labels.train(
            labels.describe("acme", "Photograph", "image", None, None), photos, art, ACTOR
        )
        theirs = labels.train(
            labels.describe("other", "Their Photo", "image", None, None), photos, art, ACTOR
        )
        made, _ = services.auth.create_aws_key("app", ["moderations:write"], "acme", actor=ACTOR)
        with LiveServer(create_app(settings, services)) as live:
            client = boto3.client(
                "rekognition",
                endpoint_url=live.url,
                region_name="eu-west-1",
                aws_access_key_id=made.access_key_id,
                aws_secret_access_key=made.secret_access_key,
                config=Config(retries={"max_attempts": 1}),
            )
            arn = project_version_arn(mine)
            photo = photo_crops(("chelsea",), 1, seed=13)[0]
            answer = client.detect_moderation_labels(
                Image={"Bytes": jpeg(photo)}, ProjectVersion=arn
            )
            assert answer["ProjectVersion"] == arn
            [found] = [e for e in answer["ModerationLabels"] if e["Name"] == "Photograph"]
            assert found["Confidence"] >= 50 and found["ParentName"] == ""
            assert found["TaxonomyLevel"] == 1
            plain = client.detect_moderation_labels(
                Image={"Bytes": jpeg(abstract_art(1, seed=14)[0])}, ProjectVersion=mine.id
            )
            assert all(e["Name"] != "Photograph" for e in plain["ModerationLabels"])

            with pytest.raises(botocore.exceptions.ClientError) as raised:
                client.detect_moderation_labels(
                    Image={"Bytes": jpeg(photo)}, ProjectVersion=project_version_arn(theirs)
                )
            assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        services.close()

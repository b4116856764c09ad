"""Checkpoints written to an S3 bucket (moto's server) instead of a folder: `modgate serve`'s
signer and `modgate audit checkpoint` put them there, the API serves the latest from there, and
`modgate audit verify` checks the log against one downloaded from it."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from modgate import audit
from modgate.audit.checkpoint import Checkpoint, SigningKey
from modgate.cli import app
from modgate.db import transaction
from modgate.services import Services
from modgate.settings import load_settings


def test_checkpoints_go_to_the_bucket(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SigningKey.generate("tests.local/audit")
    (tmp_path / "audit.key").write_text(f"{key}\n")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="audit-checkpoints")
    environment = {
        "MODGATE_DATA_DIR": str(tmp_path / "data"),
        "MODGATE_S3_ENDPOINT_URL": s3_endpoint,
        "MODGATE_AUDIT__SIGNING_KEY_FILE": str(tmp_path / "audit.key"),
        "MODGATE_AUDIT__CHECKPOINT_BUCKET": "audit-checkpoints",
        "MODGATE_AUDIT__CHECKPOINT_PREFIX": "modgate/audit/",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    services = Services.build(load_settings())
    try:
        for number in range(3):
            with transaction(services.sessions) as session:
                audit.append(
                    session, "user.changed", tenant="default", actor="cli:ops@host",
                    object=f"user:usr_{number}", payload={"n": number},
                )  # fmt: skip
        note = services.audit.sign_checkpoint()
        assert note is not None
        assert services.audit.sign_checkpoint() is None  # nothing new to sign
        assert services.audit.latest_checkpoint() == note
    finally:
        services.close()
    stored = s3.get_object(Bucket="audit-checkpoints", Key="modgate/audit/checkpoint")
    text = stored["Body"].read().decode()
    assert text == note
    history = s3.get_object(Bucket="audit-checkpoints", Key="modgate/audit/checkpoints/3")
    assert history["Body"].read().decode() == note
    assert Checkpoint.open(text, key.verifier).size == 3
    assert not (tmp_path / "data" / "audit").exists()  # nothing went to the folder
    downloaded = tmp_path / "checkpoint"
    downloaded.write_text(text)
    result = CliRunner().invoke(app, ["audit", "verify", "--checkpoint", str(downloaded)])
    assert result.exit_code == 0 and result.output.startswith("intact: 3 entries")

"""The ``modgate`` command as a user runs it: a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import bad_corpus, image_bytes, write_corpus
from servers import run_modgate


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_modgate(args, dict(os.environ) | {"MODGATE_DATA_DIR": str(data_dir)})


def test_version_and_db_upgrade(tmp_path: Path) -> None:
    version = run(["version"], tmp_path)
    assert version.returncode == 0 and version.stdout.strip()
    upgraded = run(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "modgate.db").is_file()


def test_media_add_valid_file(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(image_bytes("PNG"))
    result = run(["media", "add", str(photo)], tmp_path / "data")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["format"] == "PNG" and line["created"] is True


def test_bad_files_exit_non_zero_with_their_code(tmp_path: Path) -> None:
    cases = bad_corpus()
    paths = write_corpus(tmp_path / "bad", cases)
    for name, path in paths.items():
        result = run(["media", "add", str(path)], tmp_path / "data")
        assert result.returncode != 0, name
        assert cases[name][2] in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "blobs").exists() or not any(
        p.is_file() for p in (tmp_path / "data" / "blobs").rglob("*")
    )


def test_bad_setting_exits_with_message(tmp_path: Path) -> None:
    env = dict(os.environ) | {"MODGATE_DATA_DIR": str(tmp_path), "MODGATE_MAX_IMAGE_SIDE": "huge"}
    result = run_modgate(["db", "upgrade"], env, timeout=60)
    assert result.returncode != 0
    assert "MODGATE_MAX_IMAGE_SIDE" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("missing", ["nope.jpg"])
def test_missing_file(tmp_path: Path, missing: str) -> None:
    result = run(["media", "add", str(tmp_path / missing)], tmp_path)
    assert result.returncode != 0 and "InvalidParameterException" in result.stderr


def test_bulk_submit_folder_and_s3_prefix(tmp_path: Path, s3_endpoint: str) -> None:
    import boto3

    from pipeline_helpers import marker_png, plain_png

    folder = tmp_path / "uploads" / "nested"
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(marker_png(1))
    (folder / "b.png").write_bytes(plain_png(2))
    (folder / "notes.txt").write_text("not media: reported, not skipped silently")
    (folder / "upload-without-extension").write_bytes(plain_png(5))  # the bytes decide
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden files are left alone
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="incoming")
    client.put_object(Bucket="incoming", Key="day1/c.png", Body=marker_png(3))
    client.put_object(Bucket="incoming", Key="day2/d.png", Body=plain_png(4))
    env = os.environ | {
        "MODGATE_DATA_DIR": str(tmp_path / "data"),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
        "MODGATE_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "modgate",
            "submit",
            str(tmp_path / "uploads"),
            "s3://incoming/day1/",
            "--context",
            "region=DE",
            "--process",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr  # one file was refused
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    refused = {Path(line["File"]).name: line["error"]["code"] for line in lines if "error" in line}
    assert refused == {"notes.txt": "UnsupportedMediaTypeException"}
    actions = {Path(line["File"]).name: line["action"] for line in lines if "action" in line}
    assert actions == {
        "a.png": "block",
        "b.png": "allow",
        "upload-without-extension": "allow",
        "c.png": "block",
    }
    assert "submit" in result.stderr  # the progress bar
    assert "Traceback" not in result.stderr


def test_submit_reports_a_file_that_vanished_and_goes_on(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A file gone (or unreadable) by the time it is read is one failed line, not the end."""
    from unittest import mock

    from modgate.cli import main
    from pipeline_helpers import plain_png

    folder = tmp_path / "uploads"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index}.png").write_bytes(plain_png(60 + index))
    real_open = Path.open

    def open_or_vanish(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self.name == "1.png" and self.exists():
            self.unlink()  # deleted between the listing and the read
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    env = {"MODGATE_DATA_DIR": str(tmp_path / "data"), "MODGATE_DETECTION__ENABLED": '["marker"]'}
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(Path, "open", open_or_vanish),
        pytest.raises(SystemExit) as exited,
    ):
        main(["submit", str(folder)])
    assert exited.value.code == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    by_name = {Path(line["File"]).name: line for line in lines}
    assert set(by_name) == {"0.png", "1.png", "2.png"}
    assert by_name["1.png"]["error"]["code"] == "InvalidParameterException"
    assert "cannot be read" in by_name["1.png"]["error"]["message"]
    assert by_name["0.png"]["status"] and by_name["2.png"]["status"]


def test_jobs_list_refuses_an_unknown_status(tmp_path: Path) -> None:
    result = run(["jobs", "list", "--status", "bogus"], tmp_path)
    assert result.returncode == 2 and "bogus" in result.stderr
    assert run(["jobs", "list", "--limit", "0"], tmp_path).returncode == 2


def test_a_cancelled_job_sends_its_item_to_review_and_can_be_retried(tmp_path: Path) -> None:
    """``jobs cancel`` on a queued job: no machine decides the item, so it is not left queued
    for ever; it goes to review as a failed moderation. ``jobs retry`` queues the job again."""
    import io

    from sqlalchemy import select

    from modgate.moderation.tables import ModerationRow
    from modgate.pipeline.tables import JobRow
    from modgate.review.lane import review_state
    from modgate.services import Services
    from modgate.settings import load_settings

    data_dir = tmp_path / "data"
    assert run(["db", "upgrade"], data_dir).returncode == 0
    services = Services.build(load_settings(data_dir=data_dir), role="cli")
    try:
        # Nothing is started for the command line: the job stays queued.
        moderation, _ = services.moderations.submit(stream=io.BytesIO(image_bytes("PNG")))
        with services.sessions() as session:
            job = session.scalars(select(JobRow)).one()
        assert job.status == "queued"
        cancelled = run(["jobs", "cancel", job.id], data_dir)
        assert cancelled.returncode == 0, cancelled.stderr
        with services.sessions() as session:
            row = session.get(ModerationRow, moderation["id"])
            job = session.get(JobRow, job.id)
            review = review_state(session, moderation["id"])
        assert row is not None and job is not None and review is not None
        assert (row.status, row.action, row.rule_id) == (
            "failed",
            "review",
            "modgate.processing-cancelled",
        )
        assert job.status == "cancelled" and review["status"] == "queued"  # awaiting a reviewer
        again = run(["jobs", "cancel", job.id], data_dir)  # only queued jobs can be
        assert again.returncode != 0 and "cancelled" in again.stderr
        retried = run(["jobs", "retry", job.id], data_dir)
        assert retried.returncode == 0, retried.stderr
        with services.sessions() as session:
            assert session.get(JobRow, job.id).status == "queued"  # type: ignore[union-attr]
            row = session.get(ModerationRow, moderation["id"])
            review = review_state(session, moderation["id"])
        assert row is not None and row.status == "queued" and review is not None
        assert review["status"] == "withdrawn"  # the machine decides it again
    finally:
        services.close()

"""``modgate scan`` as a user runs it: JSON lines shaped like Rekognition, tables, error codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from corpus import bad_corpus, video_bytes, write_corpus


def run_scan(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from modgate.cli import main; main()", "scan", *arguments],
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skimage import data

    path = tmp_path_factory.mktemp("scan") / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=90)
    return path


def test_scan_prints_one_rekognition_line_per_file(photo: Path, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video_bytes("mp4", "libx264", seconds=2.0))
    completed = run_scan(str(photo), str(clip), "--min-confidence", "0")
    assert completed.returncode == 0, completed.stderr
    image_line, video_line = (json.loads(line) for line in completed.stdout.splitlines())
    assert image_line["File"] == str(photo)
    assert set(image_line) == {"File", "ModerationLabels", "ModerationModelVersion", "ContentTypes"}
    assert image_line["ModerationModelVersion"].startswith("7.0+")
    for label in image_line["ModerationLabels"]:
        assert set(label) == {"Name", "ParentName", "TaxonomyLevel", "Confidence"}
    assert video_line["VideoMetadata"]["Format"] == "MP4"
    for item in video_line["ModerationLabels"]:
        assert set(item) >= {"Timestamp", "ModerationLabel"}


def test_scan_table_format(photo: Path) -> None:
    completed = run_scan(str(photo), "--format", "table")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(str(photo))
    assert "no label at or above" in completed.stdout
    assert completed.stderr == ""  # no library log noise for a clean run


def test_every_bad_file_gets_its_error_code_and_a_nonzero_exit(tmp_path: Path, photo: Path) -> None:
    cases = bad_corpus()
    paths = write_corpus(tmp_path, cases)
    completed = run_scan(*(str(paths[name]) for name in cases), str(photo))
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    by_file = {line["File"]: line for line in lines}
    for name, (_file, _data, code) in cases.items():
        line = by_file[str(paths[name])]
        assert line.get("Error", {}).get("Code") == code, (name, line)
        assert f"{code}:" in completed.stderr
    assert "Error" not in by_file[str(photo)]


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    completed = run_scan(str(tmp_path / "nope.jpg"))
    assert completed.returncode == 2
    assert json.loads(completed.stdout)["Error"]["Code"] == "ResourceNotFoundException"

"""``modgate eval`` on a small labelled folder of real photos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image


def test_eval_reports_rates_and_writes_pr_curves(tmp_path: Path) -> None:
    from skimage import data

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(data.coffee()).save(folder / "coffee.jpg")
    Image.fromarray(data.chelsea()).save(folder / "cat.jpg")
    labels = tmp_path / "labels.csv"
    labels.write_text("file,labels\ncoffee.jpg,Alcoholic Beverages\ncat.jpg,\n")
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from modgate.cli import main; main()",
            "eval",
            str(folder),
            "--labels",
            str(labels),
            "--output",
            str(tmp_path / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr
    # The espresso is not alcohol: at 50, recall 0 and no false positive on the cat.
    assert "Alcoholic Beverages | 50 | 1.000 | 0.000 | 0.000" in completed.stdout
    assert (tmp_path / "report" / "pr-Alcoholic_Beverages.png").stat().st_size > 1000
    assert (tmp_path / "report" / "pr-Alcohol.png").exists()
    # The false-flag table: neither photo gets any label at 50 it should not have.
    assert (
        "false flags at 50: label | flagged/negatives | rate | 95% CI | worst" in completed.stdout
    )
    assert "(any label) | 0/2 | 0.00% | 0.00–65.76% |" in completed.stdout
    assert "(any nudity or sexual label) | 0/2 |" in completed.stdout

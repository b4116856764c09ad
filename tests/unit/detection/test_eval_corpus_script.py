"""The corpus script's choices, on scikit-image photos (no package download): one picture at
several sizes counts once, and a large picture adds its four close-ups."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

SCRIPT = Path(__file__).parents[3] / "scripts" / "fetch_eval_corpus.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_eval_corpus", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_same_picture_at_another_size_has_the_same_hash_and_others_differ() -> None:
    from skimage import data

    script = load_script()
    astronaut = Image.fromarray(np.asarray(data.astronaut()))
    smaller = astronaut.resize((256, 256))
    cat = Image.fromarray(np.asarray(data.chelsea()))

    def distance(one: Image.Image, other: Image.Image) -> int:
        return bin(script.difference_hash(one) ^ script.difference_hash(other)).count("1")

    assert distance(astronaut, smaller) <= script.SAME_PICTURE
    assert distance(astronaut, cat) > script.SAME_PICTURE


def test_a_large_picture_gives_four_close_ups_and_a_small_one_none() -> None:
    script = load_script()
    large = Image.new("RGB", (2000, 1000), (10, 120, 40))
    names = [name for name, _ in script.views("leaf", large)]
    assert names == ["leaf", "leaf-q00", "leaf-q01", "leaf-q10", "leaf-q11"]
    sizes = {view.size for name, view in script.views("leaf", large) if name != "leaf"}
    assert sizes == {(800, 400)}
    assert [name for name, _ in script.views("cup", Image.new("RGB", (800, 600)))] == ["cup"]

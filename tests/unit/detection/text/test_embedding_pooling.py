"""The sentence embedder's pooling arithmetic and its loading errors, without the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modgate.detection.text.embedding import VOCAB_PATH, SentenceEmbedder, mean_pool
from modgate.errors import DetectorLoadError


def test_mean_pool_ignores_padding_and_normalises() -> None:
    hidden = np.array(
        [
            [[3.0, 0.0], [1.0, 0.0], [100.0, 100.0]],  # third token is padding
            [[0.0, 2.0], [0.0, 4.0], [0.0, 6.0]],
        ],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 1, 1]])

    pooled = mean_pool(hidden, mask)

    np.testing.assert_allclose(pooled, [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)
    assert pooled.dtype == np.float32


def test_mean_pool_of_all_zero_vectors_stays_finite() -> None:
    pooled = mean_pool(np.zeros((1, 2, 3), dtype=np.float32), np.ones((1, 2)))

    assert np.isfinite(pooled).all()


def test_a_missing_model_file_is_a_load_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "gone.onnx"
    embedder = SentenceEmbedder(missing, VOCAB_PATH)  # constructing loads nothing yet

    with pytest.raises(DetectorLoadError, match="gone.onnx is missing"):
        embedder.embed(["hello"])


def test_a_corrupt_model_file_is_a_load_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not a model")

    with pytest.raises(DetectorLoadError, match="cannot load"):
        SentenceEmbedder(corrupt, VOCAB_PATH).load()


def test_bad_settings_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="threads"):
        SentenceEmbedder(threads=0)
    with pytest.raises(ValueError, match="batch_size"):
        SentenceEmbedder(batch_size=0)


def test_a_missing_vocabulary_is_a_load_error_naming_it(tmp_path: Path) -> None:
    embedder = SentenceEmbedder(vocab_path=tmp_path / "vocab.txt")

    with pytest.raises(DetectorLoadError, match="vocab.txt is missing"):
        embedder.load()

"""The shipped sentence embedder: real texts through the real int8 MiniLM on onnxruntime.

``tests/fixtures/minilm_reference.json`` holds vectors sentence-transformers computed with torch
on the float model when the ONNX file was made (``scripts/convert_models.py minilm``).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from modgate.detection.text.embedding import SentenceEmbedder, shared_embedder

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "minilm_reference.json"
COMMENTS = [
    "you are an idiot",
    "you're such a moron",
    "the weather is nice",
    "great stream today, gg",
    "dm me on insta for cheap followers",
    "Ｆｕｌｌ ｗｉｄｔｈ letters and café",
    "我喜欢这个视频",
]


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return shared_embedder()


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.dot(first, second))


def test_texts_become_384_dimensional_unit_vectors(embedder: SentenceEmbedder) -> None:
    vectors = embedder.embed(COMMENTS)

    assert vectors.shape == (len(COMMENTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len({vector.tobytes() for vector in vectors}) == len(COMMENTS)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(embedder: SentenceEmbedder) -> None:
    idiot, moron, weather, sunny, insult = embedder.embed(
        [
            "you are an idiot",
            "you're such a moron",
            "the weather is nice",
            "it is a lovely sunny day",
            "what a stupid fool you are",
        ]
    )

    assert cosine(idiot, moron) > cosine(idiot, weather) + 0.2
    assert cosine(idiot, moron) > cosine(moron, weather) + 0.2
    assert cosine(weather, sunny) > cosine(weather, insult) + 0.2
    assert cosine(insult, idiot) > cosine(insult, sunny) + 0.2


def test_the_onnx_model_matches_sentence_transformers_on_torch(
    embedder: SentenceEmbedder,
) -> None:
    reference = json.loads(FIXTURE.read_text())
    expected = np.array(reference["vectors"], dtype=np.float32)

    together = embedder.embed(reference["texts"])
    alone = np.concatenate([embedder.embed([text]) for text in reference["texts"]])

    for got in (together, alone):
        similarities = (got * expected).sum(axis=1)
        assert similarities.min() >= reference["minimum_cosine"], similarities


def test_batching_and_padding_do_not_change_a_vector(embedder: SentenceEmbedder) -> None:
    texts = COMMENTS * 5 + ["a much longer comment " * 20]
    small_batches = SentenceEmbedder(batch_size=3)

    together = embedder.embed(texts)
    in_threes = small_batches.embed(texts)
    alone = np.concatenate([embedder.embed([text]) for text in texts])

    np.testing.assert_allclose(together, alone, atol=1e-4)
    np.testing.assert_allclose(in_threes, alone, atol=1e-4)


def test_empty_input_and_empty_text(embedder: SentenceEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)

    empty, spaces = embedder.embed(["", "   "])

    assert np.linalg.norm(empty) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(empty, spaces, atol=1e-5)


def test_a_very_long_text_is_read_up_to_its_256th_token(embedder: SentenceEmbedder) -> None:
    sentence = "the referee ruined the whole match again. "
    huge = sentence * 8000  # 336 KB, some 80,000 tokens

    long_vector, huge_vector, short_vector = embedder.embed(
        [sentence * 40, huge, "I love this song"]
    )

    assert np.linalg.norm(huge_vector) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(huge_vector, long_vector, atol=1e-4)
    assert cosine(huge_vector, short_vector) < 0.5


def test_one_string_is_refused_rather_than_read_letter_by_letter(
    embedder: SentenceEmbedder,
) -> None:
    with pytest.raises(TypeError):
        embedder.embed("you are an idiot")  # type: ignore[arg-type]


def test_threads_share_one_embedder(embedder: SentenceEmbedder) -> None:
    expected = embedder.embed(COMMENTS)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: embedder.embed(COMMENTS), range(8)))

    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-5)
    assert shared_embedder() is embedder

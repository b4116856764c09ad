"""Sentence embeddings from the shipped all-MiniLM-L6-v2, on onnxruntime alone.

A text becomes a 384-dimensional unit vector: texts that mean the same thing point the same way
("you are an idiot" and "you're such a moron" sit closer than either and "the weather is nice"),
which is what custom text labels are trained on. The model is sentence-transformers'
all-MiniLM-L6-v2 (Apache-2.0), its weights stored as int8 in
``detection/models/all_minilm_l6_v2_int8.onnx`` (see its NOTICE and
``scripts/convert_minilm.py``); no torch is needed at run time.

The steps are sentence-transformers' own: the model's WordPiece tokenizer (lower case, accents
stripped, at most 256 tokens: longer texts are cut, as the model was trained), the encoder, the
mean of the token vectors under the attention mask, L2 normalisation. ``tests/fixtures/
minilm_reference.json`` holds vectors computed by sentence-transformers with torch, and the tests
check these agree (cosine ≥ 0.99).

The model loads on the first ``embed`` and stays loaded; ``shared_embedder()`` gives one embedder
per process. ``embed`` may be called from several threads at once (onnxruntime sessions and the
tokenizer are safe to share).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import BertWordPieceTokenizer

from modgate.detection.runtime import MODELS_DIR, create_session
from modgate.errors import DetectorLoadError

MODEL_NAME = "all-MiniLM-L6-v2"
#: Changes whenever the vectors would: anything stored or trained on them records it.
MODEL_VERSION = "all-MiniLM-L6-v2-onnx-int8w.1"
MODEL_PATH = MODELS_DIR / "all_minilm_l6_v2_int8.onnx"
VOCAB_PATH = MODELS_DIR / "all_minilm_l6_v2.vocab.txt"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_SIZE = 32


def mean_pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """The mean of each text's token vectors under its attention mask, L2-normalised.

    ``hidden`` is ``[texts, tokens, dimensions]``, ``attention_mask`` ``[texts, tokens]`` (1 for a
    real token, 0 for padding). Same arithmetic as sentence-transformers' ``Pooling`` (mean
    tokens, the count clamped at 1e-9) followed by its ``Normalize`` (the norm clamped at 1e-12).
    """
    weights = attention_mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    normalised: np.ndarray = (pooled / norms).astype(np.float32)
    return normalised


def word_piece_tokenizer(vocab_path: Path) -> BertWordPieceTokenizer:
    """The model's tokenizer: BERT WordPiece on ``vocab_path``, lower case, accents stripped,
    ``[CLS] … [SEP]`` cut at 256 tokens, a batch padded to its longest text with ``[PAD]``."""
    tokenizer = BertWordPieceTokenizer(str(vocab_path), lowercase=True)
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


@dataclass(frozen=True)
class _Loaded:
    session: onnxruntime.InferenceSession
    tokenizer: BertWordPieceTokenizer


class SentenceEmbedder:
    """Texts → float32 ``[len(texts), 384]`` L2-normalised sentence embeddings.

    Lifecycle: construction only records where the model is and how to run it; the first
    ``embed`` loads the ONNX session and the tokenizer (about a quarter of a second), later
    calls reuse them. A missing or unreadable model file raises ``DetectorLoadError`` there,
    saying which file and how to fix it.

    ``threads`` is onnxruntime's intra-op thread budget for the session; ``batch_size`` how many
    texts go through the encoder at once (texts are grouped by length first, so a batch pads
    little).
    """

    dimensions = DIMENSIONS
    max_tokens = MAX_TOKENS
    version = MODEL_VERSION

    def __init__(
        self,
        model_path: Path = MODEL_PATH,
        vocab_path: Path = VOCAB_PATH,
        *,
        threads: int = 1,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.model_path = Path(model_path)
        self.vocab_path = Path(vocab_path)
        self.threads = threads
        self.batch_size = batch_size
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def _load(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = _Loaded(self._session(), self._tokenizer())
            return self._loaded

    def _session(self) -> onnxruntime.InferenceSession:
        if not self.model_path.is_file():
            raise DetectorLoadError(
                f"sentence embedder: model file {self.model_path} is missing; reinstall modgate "
                "(or regenerate it with `python scripts/convert_models.py minilm`)",
                detector="sentence_embedder",
            )
        return create_session(self.model_path, self.threads, "sentence_embedder")

    def _tokenizer(self) -> BertWordPieceTokenizer:
        if not self.vocab_path.is_file():
            raise DetectorLoadError(
                f"sentence embedder: vocabulary {self.vocab_path} is missing; reinstall modgate",
                detector="sentence_embedder",
            )
        # Its settings are fixed from here on: threads share it and only read it.
        return word_piece_tokenizer(self.vocab_path)

    def load(self) -> None:
        """Load the model now rather than on the first ``embed`` (e.g. at start-up)."""
        self._load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, in the order given; ``[0, 384]`` for no texts.

        An empty text embeds like sentence-transformers embeds it (the vector of the model's
        start and end tokens alone); a text longer than 256 tokens is read up to its 256th.
        """
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of texts, not one string")
        result = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return result
        loaded = self._load()
        # Longest first, as sentence-transformers does, so each batch holds texts of like length.
        order = sorted(range(len(texts)), key=lambda index: -len(texts[index]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            result[chunk] = self._embed_batch(loaded, [texts[index] for index in chunk])
        return result

    def _embed_batch(self, loaded: _Loaded, texts: list[str]) -> np.ndarray:
        encodings = loaded.tokenizer.encode_batch(texts)
        input_ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        token_type_ids = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = loaded.session.run(
            ["last_hidden_state"],
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": token_type_ids,
            },
        )[0]
        return mean_pool(hidden, attention_mask)


_shared: SentenceEmbedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> SentenceEmbedder:
    """The process's one embedder on the shipped model (loaded on its first ``embed``)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEmbedder()
        return _shared

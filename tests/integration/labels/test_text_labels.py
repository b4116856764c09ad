"""Text custom labels, trained like image ones on the shipped MiniLM's sentence embeddings:
``modgate labels train NAME --kind text`` from a ``.txt`` file and a ``.jsonl`` file, then the
text ``custom`` detector emits the label (0–100) over the whole text on held-out messages, only
for the owning tenant."""

from __future__ import annotations

import json
import os
from pathlib import Path

from modgate.detection.custom.text_detector import CustomTextDetector
from modgate.detection.text.engine import TextEngine
from modgate.services import Services
from modgate.settings import load_settings
from servers import run_modgate
from text_label_corpus import CHAT, SCAM, messages


def test_a_text_label_trained_from_files_is_found_on_held_out_messages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(tmp_path / "data"),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
    }
    positives = tmp_path / "scam.txt"
    positives.write_text("\n".join(messages(SCAM, 30, seed=1)) + "\n")
    negatives = tmp_path / "chat.jsonl"
    negatives.write_text(
        "".join(json.dumps({"text": text}) + "\n" for text in messages(CHAT, 30, seed=2))
    )
    result = run_modgate(
        ["labels", "train", "Crypto Scam", "--kind", "text", "--tenant", "acme",
         "--positive", str(positives), "--negative", str(negatives)],
        env,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trained = json.loads(result.stdout.splitlines()[-1])
    assert trained["status"] == "live"
    assert trained["model_card"]["backbone"] == "minilm"
    assert trained["model_card"]["kind"] == "text"

    settings = load_settings(data_dir=tmp_path / "data", detection={"enabled": ["marker"]})
    services = Services.build(settings, role="cli")
    try:
        detector = CustomTextDetector()
        detector.setup()
        engine = TextEngine([detector])
        engine.use_custom_labels(services.labels.store)
        scams, chats = messages(SCAM, 12, seed=3), messages(CHAT, 12, seed=4)
        found = engine.detect_many([*scams, *chats], tenant="acme")
        scores = [
            next((item.score for item in f.labels if item.name == "Crypto Scam"), 0.0)
            for f in found
        ]
        truth = [True] * len(scams) + [False] * len(chats)
        accuracy = sum((score >= 50) == t for score, t in zip(scores, truth, strict=True)) / 24
        print(f"held-out accuracy of 'Crypto Scam': {accuracy:.3f} on 24 unseen messages")
        assert accuracy >= 0.9
        [label] = [item for item in found[0].labels if item.name == "Crypto Scam"]
        assert 0 <= label.score <= 100
        assert [(span.begin, span.end) for span in label.spans] == [(0, len(scams[0]))]
        assert "TOXICITY" not in {item.name for item in found[0].labels}  # never folded into it
        other = engine.detect_many(scams[:2], tenant="other")
        assert all(not f.labels for f in other)
    finally:
        services.close()

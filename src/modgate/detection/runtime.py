"""onnxruntime sessions sized for the engine: few threads each, no busy-waiting, CPU only.

The engine runs detectors concurrently on a thread pool (onnxruntime releases the GIL), so each
session gets a small thread budget rather than every core: that keeps the cores busy with
useful work instead of threads spinning against each other.
"""

from __future__ import annotations

import logging
from pathlib import Path

import onnxruntime

from modgate.errors import DetectorLoadError

logger = logging.getLogger(__name__)

#: Where the models modgate ships live (each beside its LICENSE and NOTICE).
MODELS_DIR = Path(__file__).resolve().parent / "models"


def create_session(path: str | Path, threads: int, detector: str) -> onnxruntime.InferenceSession:
    """An inference session on ``path`` using ``threads`` intra-op threads."""
    if not Path(path).is_file():
        raise DetectorLoadError(
            f"detector {detector!r}: model file {path} is missing; reinstall modgate "
            "(or disable the detector with MODGATE_DETECTION__DISABLED)",
            detector=detector,
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    try:
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises several unrelated exception types
        raise DetectorLoadError(
            f"detector {detector!r}: cannot load {path}: {exc}", detector=detector
        ) from exc

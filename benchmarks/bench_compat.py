"""The Rekognition-compatible endpoint's cost: DetectModerationLabels through boto3 (SigV4
signed, AWS JSON 1.1, base64 bytes) beside the same images through ``POST /v1/moderations``
(multipart, ``wait=true``, API key) against one server, in one run, calls alternating. Every
call sends bytes never seen (one pixel differs), so neither side reuses stored detections.

Usage: python benchmarks/bench_compat.py [--count 40] [--detectors open_nsfw,nsfwjs]
(default: the installed default detectors; ``--detectors marker`` shows the protocol's own
cost with a detector that costs almost nothing).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx
import numpy as np
from botocore.config import Config
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from modgate.app import create_app  # noqa: E402
from modgate.auth.models import SCOPES  # noqa: E402
from modgate.services import Services  # noqa: E402
from modgate.settings import load_settings  # noqa: E402
from servers import LiveServer  # noqa: E402


def image(index: int, variant: int) -> bytes:
    rng = np.random.default_rng(index)
    base = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    picture = Image.fromarray(base, "RGB").resize((640, 480), Image.Resampling.BILINEAR)
    picture.putpixel((variant, 0), (variant, 0, 0))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--detectors", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        detection = {"enabled": args.detectors.split(",")} if args.detectors else {}
        settings = load_settings(
            data_dir=Path(folder), detection=detection, pipeline={"workers": 2}
        )
        services = Services.build(settings)
        api_key, _ = services.auth.create_key("bench", SCOPES)
        made, _ = services.auth.create_aws_key("bench-aws", SCOPES)
        with LiveServer(create_app(settings, services)) as live:
            v1 = httpx.Client(
                base_url=live.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=120
            )
            aws = boto3.client(
                "rekognition",
                endpoint_url=live.url,
                region_name="us-east-1",
                aws_access_key_id=made.access_key_id,
                aws_secret_access_key=made.secret_access_key,
                config=Config(retries={"max_attempts": 1}, read_timeout=120),
            )
            # Warm up both paths (model sessions, connections).
            v1.post("/v1/moderations?wait=true", files={"file": ("w.jpg", image(10**6, 1))})
            aws.detect_moderation_labels(Image={"Bytes": image(10**6, 2)})
            times: dict[str, list[float]] = {
                "/v1 multipart": [],
                "boto3 DetectModerationLabels": [],
            }
            for index in range(args.count):
                data = image(index, 3)
                start = time.perf_counter()
                answer = v1.post("/v1/moderations?wait=true", files={"file": ("i.jpg", data)})
                times["/v1 multipart"].append(time.perf_counter() - start)
                assert answer.status_code == 201, answer.text
                data = image(index, 4)
                start = time.perf_counter()
                aws.detect_moderation_labels(Image={"Bytes": data})
                times["boto3 DetectModerationLabels"].append(time.perf_counter() - start)
            v1.close()
        services.close()
    print(f"{args.count} images of 640 x 480 each way, detectors: {args.detectors or 'default'}")
    for name, values in times.items():
        print(
            f"  {name:30s} {len(values) / sum(values):7.2f} calls/s   "
            f"median {statistics.median(values) * 1000:7.1f} ms"
        )
    v1_median = statistics.median(times["/v1 multipart"])
    aws_median = statistics.median(times["boto3 DetectModerationLabels"])
    print(f"  overhead of the Rekognition protocol (median): {aws_median / v1_median - 1:+.1%}")


if __name__ == "__main__":
    main()

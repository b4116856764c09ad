"""``openai_guard`` against a fake OpenAI-compatible server on 127.0.0.1 (real HTTP): labels
from the answers, probabilities from log-probabilities or the fallback, strict validation,
slow answers, 429/5xx, and a circuit that opens and closes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from modgate.detection.frames import PreparedImage
from modgate.detection.remote.openai_guard import OpenAIGuardDetector
from modgate.detection.remote.testing import FakeGuardServer, Scripted
from modgate.detection.remote.usage import RemoteUsage
from modgate.errors import RemoteBackendUnavailableException, SettingsError
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.taxonomy import taxonomy_v7

LOOPBACK = OutboundGuard(OutboundPolicy.parse("127.0.0.1/32"))
ONE_SET = {
    "hate": {
        "prompt": "A: Nazi symbols\nB: extremist flags\nN: none\nAnswer:",
        "options": {"A": "Nazi Party", "B": "Extremist", "N": None},
    }
}


def red_means_nazi(prompt: str, image: Image.Image) -> str:
    return "A" if image.convert("RGB").getpixel((5, 5))[0] > 200 else "N"  # type: ignore[index]


def picture(colour: tuple[int, int, int]) -> PreparedImage:
    return PreparedImage(Image.new("RGB", (120, 120), colour))


@pytest.fixture
def server() -> Iterator[FakeGuardServer]:
    with FakeGuardServer(red_means_nazi) as fake:
        yield fake


def guard(
    server: FakeGuardServer, usage: RemoteUsage | None = None, **options: Any
) -> OpenAIGuardDetector:
    settings = {
        "base_url": server.base_url,
        "model": "guard-vl",
        "categories": ONE_SET,
        "timeout_seconds": 2,
        "backoff_seconds": 0.01,
        "backoff_max_seconds": 0.02,
    } | options
    detector = OpenAIGuardDetector(settings, outbound=LOOPBACK, usage=usage or RemoteUsage())
    detector.setup()
    return detector


def probabilities(detector: OpenAIGuardDetector, image: PreparedImage) -> dict[str, float]:
    output = detector.predict([image])[0]
    return {item.label: round(item.probability, 3) for item in output.evidence}


def test_labels_and_probabilities_come_from_the_logprobs(server: FakeGuardServer) -> None:
    usage = RemoteUsage()
    detector = guard(server, usage)
    assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.9}
    assert probabilities(detector, picture((0, 0, 255))) == {"Nazi Party": 0.1}
    request = server.requests[0]
    assert request["model"] == "guard-vl" and request["max_tokens"] == 1
    assert request["logprobs"] is True
    image_part = request["messages"][0]["content"][1]
    assert image_part["image_url"]["url"].startswith("data:image/jpeg;base64,")
    counts = usage.snapshot()
    assert counts.backend("openai_guard", "calls") == 2
    assert counts.backend("openai_guard", "images") == 2
    assert detector.model_tag.startswith("openai_guard-1/guard-vl/")
    assert server.authorizations[0] == ""


def test_the_api_key_is_sent_as_a_bearer_token_and_never_shown(server: FakeGuardServer) -> None:
    detector = guard(server, api_key="sk-local-123")
    detector.predict([picture((255, 0, 0))])
    assert server.authorizations == ["Bearer sk-local-123"]
    assert "sk-local-123" not in repr(detector.options)


def test_without_logprobs_the_chosen_label_gets_the_fallback_probability() -> None:
    with FakeGuardServer(red_means_nazi, logprobs=False) as server:
        detector = guard(server, fallback_probability=0.7)
        assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.7}
        assert probabilities(detector, picture((0, 0, 255))) == {}


def test_the_default_prompts_cover_the_labels_no_local_model_covers(
    server: FakeGuardServer,
) -> None:
    detector = OpenAIGuardDetector(
        {"base_url": server.base_url, "model": "m"}, outbound=LOOPBACK, usage=RemoteUsage()
    )
    detector.setup()
    detector.predict([picture((0, 0, 255))])
    assert len(server.requests) == len(detector.settings.categories) == 6
    for label in ("Hate Symbols", "Graphic Violence", "Smoking", "Corpses", "Sex Toys"):
        tree = taxonomy_v7()
        assert any(tree.is_within(emitted, label) for emitted in detector.labels), (
            f"{label} not covered"
        )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"choices": []}',
        b'{"choices": [{"message": {"content": "Maybe"}}]}',
        b'{"choices": [{"message": {"content": "A, and also B"}}]}',
        b'{"choices": [{"message": {"content": 7}}]}',
        b'{"choices": [{"message": {"content": "A"}, "logprobs": {"content": [{"token": "A"}]}}]}',
    ],
)
def test_a_malformed_answer_is_retried_then_refused(server: FakeGuardServer, body: bytes) -> None:
    usage = RemoteUsage()
    detector = guard(server, usage, retries=1)
    server.fail_next(Scripted(body=body), Scripted(body=body))
    with pytest.raises(RemoteBackendUnavailableException, match="malformed_answer"):
        detector.predict([picture((255, 0, 0))])
    assert usage.snapshot().backend("openai_guard", "failures") == 2
    server.fail_next(Scripted(body=body))  # one bad answer, then a good one: retried
    assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.9}


def test_a_slow_answer_times_out_and_the_retry_succeeds(server: FakeGuardServer) -> None:
    usage = RemoteUsage()
    detector = guard(server, usage, timeout_seconds=0.3, retries=1)
    server.fail_next(Scripted(delay=1.0))
    started = time.monotonic()
    assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.9}
    assert time.monotonic() - started < 1.0  # did not wait for the slow answer
    counts = usage.snapshot()
    assert counts.backend("openai_guard", "retries") == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried(server: FakeGuardServer, status: int) -> None:
    usage = RemoteUsage()
    detector = guard(server, usage, retries=2)
    server.fail_next(Scripted(status=status), Scripted(status=status))
    assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.9}
    assert usage.snapshot().backend("openai_guard", "retries") == 2


def test_a_client_error_is_not_retried(server: FakeGuardServer) -> None:
    detector = guard(server, retries=3)
    server.fail_next(Scripted(status=404))
    with pytest.raises(RemoteBackendUnavailableException, match="http_404"):
        detector.predict([picture((255, 0, 0))])
    assert len(server.requests) == 1


def test_the_circuit_opens_after_repeated_failures_and_closes_again(
    server: FakeGuardServer,
) -> None:
    usage = RemoteUsage()
    detector = guard(server, usage, retries=0, circuit_failures=3, circuit_reset_seconds=0.5)
    server.fail_next(*[Scripted(status=503)] * 3)
    for _ in range(3):
        with pytest.raises(RemoteBackendUnavailableException, match="http_503"):
            detector.predict([picture((255, 0, 0))])
    with pytest.raises(RemoteBackendUnavailableException, match="circuit is open"):
        detector.predict([picture((255, 0, 0))])
    assert len(server.requests) == 3  # the open circuit sent nothing
    time.sleep(0.6)
    assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.9}  # the probe
    assert detector.caller.breaker.state == "closed"
    assert probabilities(detector, picture((255, 0, 0))) == {"Nazi Party": 0.9}
    counts = usage.snapshot()
    assert counts.backend("openai_guard", "circuit_opened") == 1
    assert counts.backend("openai_guard", "refused") == 1


def test_an_internal_address_is_refused_unless_allowed(server: FakeGuardServer) -> None:
    detector = OpenAIGuardDetector({"base_url": server.base_url, "model": "m"})
    with pytest.raises(SettingsError, match="MODGATE_OUTBOUND_ALLOW"):
        detector.setup()


def test_bad_options_are_refused_with_the_fix() -> None:
    with pytest.raises(SettingsError, match="not a v7 label"):
        OpenAIGuardDetector(
            {
                "base_url": "http://x/v1",
                "model": "m",
                "categories": {"x": {"prompt": "p", "options": {"A": "Nazis", "N": None}}},
            }
        )
    with pytest.raises(SettingsError, match="model"):
        OpenAIGuardDetector({"base_url": "http://x/v1"})

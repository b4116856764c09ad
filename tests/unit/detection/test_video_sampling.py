"""Which frames of a video are sampled, and when they are stamped: the frame on screen at each
sampling time, whatever the encoder did (B-frames, variable frame rate, damaged packets, a late
first timestamp, a display rotation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modgate.detection.video_sampling import sample_frames
from modgate.errors import CorruptMediaException
from modgate.media import MediaInfo, inspect_bytes
from modgate.media.previews import representative_frame
from video_corpus import (
    FIXED_B_FRAMES,
    RED,
    clip_bytes,
    damaged_mp4,
    decoded_times_ms,
    is_red,
    rotated_mp4,
    solid,
    still,
)

SUFFIX = {"mp4": ".mp4", "matroska": ".mkv", "webm": ".webm"}


def _samples(tmp_path: Path, data: bytes, container: str = "mp4") -> list[tuple[int, bool]]:
    path = tmp_path / f"clip{SUFFIX[container]}"
    path.write_bytes(data)
    return [(s.timestamp_ms, is_red(s.image)) for s in sample_frames(path, fps=1.0)]


def test_a_slide_coded_as_a_non_reference_b_frame_is_sampled(tmp_path: Path) -> None:
    # A 1 fps slideshow, x264 B-frames: slide 5 (the only red one) is a non-reference frame.
    slides = [solid(RED) if index == 5 else still(seed=index) for index in range(9)]
    data = clip_bytes(slides, fps=1, options=FIXED_B_FRAMES)
    assert 5000 not in decoded_times_ms(data, skip_nonref=True)  # the clip tests what it says
    samples = _samples(tmp_path, data)
    assert [stamp for stamp, _ in samples] == [1000 * index for index in range(9)]
    assert [stamp for stamp, red in samples if red] == [5000]


@pytest.mark.parametrize("container", ["mp4", "matroska"])
def test_a_frame_shown_across_sampling_times_is_sampled_once_at_its_own_time(
    tmp_path: Path, container: str
) -> None:
    # Variable frame rate: the red frame is on screen from 0.9 s to 4 s (samples at 1, 2, 3 s).
    frames = [still(seed=1), solid(RED), still(seed=2), still(seed=3)]
    data = clip_bytes(frames, pts_ms=[0, 900, 4000, 5000], container=container)
    assert _samples(tmp_path, data, container) == [
        (0, False),
        (900, True),
        (4000, False),
        (5000, False),
    ]


@pytest.mark.parametrize("container", ["mp4", "matroska"])
def test_a_scene_cut_still_adds_a_sample_between_regular_ones(
    tmp_path: Path, container: str
) -> None:
    # Red from 2.4 s to 2.8 s, between the regular samples at 2 s and 3 s.
    frames = [solid(RED) if 24 <= index < 28 else still(seed=index) for index in range(40)]
    path = tmp_path / f"clip{SUFFIX[container]}"
    path.write_bytes(clip_bytes(frames, fps=10, container=container))
    samples = list(sample_frames(path, 1.0, 0.15))
    assert [s.timestamp_ms for s in samples if not s.scene_change] == [0, 1000, 2000, 3000]
    red = [s.timestamp_ms for s in samples if is_red(s.image)]
    assert len(red) == 1 and 2400 <= red[0] < 2800


def test_a_cut_to_another_colour_at_the_same_brightness_adds_a_sample(tmp_path: Path) -> None:
    # Dark red (luma about 60) from 2.4 s to 2.8 s in a green scene of the same brightness.
    frames = [solid((200, 0, 0)) if 24 <= index < 28 else solid((0, 102, 0)) for index in range(40)]
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip_bytes(frames, fps=10))
    samples = list(sample_frames(path, 1.0, 0.15))
    red = [s.timestamp_ms for s in samples if is_red(s.image)]
    assert len(red) == 1 and 2400 <= red[0] < 2800
    assert not [s for s in sample_frames(path, 1.0, 0.0) if is_red(s.image)]  # found by the cut


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda frames: damaged_mp4(clip_bytes(frames), 10), id="h264-mp4-bad-nal-length"
        ),
        pytest.param(
            lambda frames: clip_bytes(
                frames, container="webm", codec="libvpx-vp9", damaged_packets={10}
            ),
            id="vp9-webm-bad-header",
        ),
    ],
)
def test_one_damaged_packet_costs_a_frame_not_the_video(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    frames = [solid(RED) if index >= 20 else still(seed=index) for index in range(30)]
    data = make(frames)
    with pytest.raises(Exception, match="Invalid data"):  # a plain decode stops at the damage
        decoded_times_ms(data)
    container = "webm" if data[:4] == b"\x1a\x45\xdf\xa3" else "mp4"
    samples = _samples(tmp_path, data, container)
    # At 1 s the frame before the damaged one is still on screen.
    assert [stamp for stamp, _ in samples] in ([0, 1000, 2000], [0, 900, 2000])
    assert [stamp for stamp, red in samples if red] == [2000]


def test_a_video_mostly_damaged_is_refused(tmp_path: Path) -> None:
    frames = [still(seed=index) for index in range(20)]
    data = clip_bytes(frames, container="webm", codec="libvpx-vp9", damaged_packets=range(1, 20))
    with pytest.raises(CorruptMediaException):
        _samples(tmp_path, data, "webm")


def _upright_picture() -> np.ndarray:
    """Portrait, 120 × 160: red over the top 60 %, blue below."""
    picture = solid((0, 0, 255), 120, 160)
    picture[:96] = RED
    return picture


@pytest.mark.parametrize("degrees", [90, 270])
def test_rotated_video_is_sampled_and_previewed_upright(tmp_path: Path, degrees: int) -> None:
    # Stored sideways (160 × 120) with a display matrix that turns it back, as phones do.
    stored = np.rot90(_upright_picture(), k=1 if degrees == 90 else -1)
    data = rotated_mp4(clip_bytes([np.ascontiguousarray(stored)] * 10), degrees)
    path = tmp_path / "portrait.mp4"
    path.write_bytes(data)
    info = inspect_bytes(data)
    assert (info.width, info.height) == (160, 120)  # the coded size, as Rekognition reports
    images = [sample.image for sample in sample_frames(path)]
    images.append(representative_frame(path, info))
    for image in images:
        assert image.size == (120, 160)
        pixels = np.asarray(image.convert("RGB"))
        assert is_red(pixels[:90]) and not is_red(pixels[100:])


VIDEO_STARTING_LATE = [still(seed=index) for index in range(30)]


@pytest.mark.parametrize(
    ("data", "container", "seconds"),
    [
        pytest.param(
            clip_bytes(VIDEO_STARTING_LATE, pts_ms=[5000 + 100 * i for i in range(30)]),
            "mp4",
            3.0,
            id="mp4-first-pts-5s",
        ),
        pytest.param(
            clip_bytes(
                VIDEO_STARTING_LATE,
                pts_ms=[5000 + 100 * i for i in range(30)],
                container="matroska",
            ),
            "matroska",
            3.0,
            id="mkv-first-pts-5s",
        ),
        pytest.param(
            clip_bytes(
                VIDEO_STARTING_LATE[:20],
                container_options={"movflags": "frag_keyframe+empty_moov"},
            ),
            "mp4",
            2.0,
            id="fragmented-mp4",
        ),
        pytest.param(
            clip_bytes(VIDEO_STARTING_LATE[:8], pts_ms=[0, 40, 80, 500, 1500, 3000, 4800, 6000]),
            "mp4",
            6.04,
            id="vfr-mp4-last-frame-at-6s",
        ),
    ],
)
def test_stamps_count_from_the_first_frame_and_stay_inside_the_duration(
    tmp_path: Path, data: bytes, container: str, seconds: float
) -> None:
    info: MediaInfo = inspect_bytes(data)
    assert info.duration_seconds == pytest.approx(seconds, abs=0.25)
    stamps = [stamp for stamp, _ in _samples(tmp_path, data, container)]
    assert stamps[0] == 0
    assert all(stamp < info.duration_seconds * 1000 for stamp in stamps)
    assert stamps[-1] >= seconds * 1000 - 1100  # the end is sampled too


def test_picture_distance_sees_a_corner_change_but_not_encoder_noise() -> None:
    from PIL import Image

    from modgate.detection.settings import REUSE_THRESHOLD
    from modgate.detection.video import picture_distance, picture_signature

    base = still(320, 240, seed=3)
    noisy = np.clip(
        base.astype(np.int16) + np.random.default_rng(0).integers(-3, 4, base.shape), 0, 255
    )
    corner = base.copy()
    corner[:30, :40] = RED  # 1/64 of the picture
    signature = picture_signature(Image.fromarray(base))
    assert picture_distance(signature, signature) == 0.0
    assert (
        picture_distance(signature, picture_signature(Image.fromarray(noisy.astype(np.uint8))))
        < REUSE_THRESHOLD / 2
    )
    assert (
        picture_distance(signature, picture_signature(Image.fromarray(corner)))
        > 2 * REUSE_THRESHOLD
    )

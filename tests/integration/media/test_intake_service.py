"""Media intake against a real database (SQLite and PostgreSQL) and a real blob store."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from corpus import bad_corpus, image_bytes, valid_corpus
from modgate.db import make_engine, session_factory, upgrade
from modgate.errors import ModgateError
from modgate.media import LocalBlobStore, MediaLimits, MediaService, SqlMediaStore
from modgate.media.tables import MediaRow


@pytest.fixture
def intake(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    sessions = session_factory(engine)
    service = MediaService(
        SqlMediaStore(sessions),
        LocalBlobStore(tmp_path / "blobs"),
        MediaLimits(),
        spool_dir=tmp_path / "spool",
    )
    yield service, sessions
    engine.dispose()


def _rows(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(MediaRow)) or 0)


def test_same_bytes_are_stored_once(intake) -> None:  # type: ignore[no-untyped-def]
    service, sessions = intake
    data = image_bytes("JPEG")
    first, created_first = service.ingest_bytes(data)
    second, created_second = service.ingest_bytes(data)
    assert created_first and not created_second
    assert first.id == second.id
    assert _rows(sessions) == 1
    assert service.read_blob(first.blob_key) == data


def test_a_record_deferred_to_the_callers_transaction_yields_to_one_recorded_first(intake) -> None:  # type: ignore[no-untyped-def]
    """Two uploads of the same new bytes both pass the lookup; the second to write its record
    gets the first one's instead, and nothing fails."""
    from modgate.db.base import transaction

    service, sessions = intake
    data = image_bytes("PNG")
    first, new_first = service.ingest_bytes(data, defer_record=True)
    second, new_second = service.ingest_bytes(data, defer_record=True)
    assert new_first and new_second and first.id != second.id
    assert _rows(sessions) == 0  # deferred: the bytes are stored, the records are not
    with transaction(sessions) as session:
        assert service.store.add_in(session, first) == (first, True)
    with transaction(sessions) as session:
        kept, created = service.store.add_in(session, second)
    assert not created and kept.id == first.id and kept.info == first.info
    assert _rows(sessions) == 1
    assert service.read_blob(first.blob_key) == data


def test_bytes_lost_from_the_store_are_put_back_by_the_next_upload(intake) -> None:  # type: ignore[no-untyped-def]
    """Intake skips the database lookup when the store has no such file; a record that exists
    anyway is found when the new one is written, and the bytes are stored again."""
    service, sessions = intake
    data = image_bytes("JPEG")
    first, _ = service.ingest_bytes(data)
    service.blobs.delete(first.blob_key)
    again, created = service.ingest_bytes(data)
    assert not created and again.id == first.id
    assert service.read_blob(first.blob_key) == data
    assert _rows(sessions) == 1


def test_every_valid_type_is_stored_with_previews(intake) -> None:  # type: ignore[no-untyped-def]
    service, sessions = intake
    for _name, (_file, data, kind, fmt) in valid_corpus().items():
        record, created = service.ingest_bytes(data)
        assert created and record.info.format == fmt and record.info.kind == kind
        # Made the first time they are asked for, then kept under their content-derived keys.
        assert not service.blobs.exists(record.blurred_key)
        blurred = Image.open(io.BytesIO(service.preview(record, blurred=True)))
        preview = Image.open(io.BytesIO(service.preview(record, blurred=False)))
        assert service.read_blob(record.preview_key) == service.preview(record, blurred=False)
        assert preview.format == "JPEG" and max(preview.size) <= 512
        assert blurred.size == preview.size
    assert _rows(sessions) == len(valid_corpus())


def test_blurred_preview_hides_detail(intake) -> None:  # type: ignore[no-untyped-def]
    service, _ = intake
    checkerboard = Image.new("L", (512, 512))
    checkerboard.putdata(
        [255 * (((x // 8) + (y // 8)) % 2) for y in range(512) for x in range(512)]
    )
    out = io.BytesIO()
    checkerboard.convert("RGB").save(out, format="PNG")
    record, _ = service.ingest_bytes(out.getvalue())
    sharp = Image.open(io.BytesIO(service.preview(record, blurred=False))).convert("L")
    blurred = Image.open(io.BytesIO(service.preview(record, blurred=True))).convert("L")
    low, high = sharp.getextrema()
    assert high - low > 200
    low, high = blurred.getextrema()
    assert high - low < 40


def test_bad_input_writes_nothing(intake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service, sessions = intake
    for name, (_file, data, code) in bad_corpus().items():
        with pytest.raises(ModgateError) as caught:
            service.ingest_bytes(data)
        assert caught.value.code == code, name
    assert _rows(sessions) == 0
    assert service.blobs.keys() == []
    assert list((tmp_path / "spool").iterdir()) == []


def test_concurrent_uploads_of_the_same_bytes_make_one_record(intake) -> None:  # type: ignore[no-untyped-def]
    service, sessions = intake
    data = image_bytes("PNG", seed=5)
    results: list[str] = []
    errors: list[Exception] = []

    def upload() -> None:
        try:
            results.append(service.ingest_bytes(data)[0].id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert _rows(sessions) == 1


def _rotated_jpeg() -> bytes:
    image = Image.new("RGB", (1200, 700), (10, 120, 30))
    image.paste((200, 40, 40), (100, 100, 600, 300))
    exif = Image.Exif()
    exif[0x0112] = 6  # a phone photo: "rotate 90° clockwise to display"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def _translucent_png() -> bytes:
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((0, 0, 255, 128), (50, 50, 250, 150))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("side", [224, 512, 1280])
def test_handed_off_frames_are_what_detection_would_decode(intake, side: int) -> None:  # type: ignore[no-untyped-def]
    """Decode once: the frame intake hands to detection is pixel for pixel the one the worker
    would decode from the stored file (DCT scale, EXIF orientation, transparency)."""
    from modgate.media.previews import to_rgb
    from modgate.media.scale import draft_long_side

    service, _ = intake
    handoff = service.hand_off_frames(side)
    samples = [_rotated_jpeg(), _translucent_png()] + [
        data for _file, data, kind, _fmt in valid_corpus().values() if kind == "image"
    ]
    for data in samples:
        record, created = service.ingest_bytes(data)
        handed = handoff.take(record.info.sha256, side)
        if not created or record.info.animated:
            assert handed is None  # nothing decoded to hand on
            continue
        assert handed is not None
        with Image.open(io.BytesIO(service.read_blob(record.blob_key))) as image:
            draft_long_side(image, side)
            image.load()
            decoded = to_rgb(image)
        assert handed.mode == "RGB" and handed.size == decoded.size
        assert handed.tobytes() == decoded.tobytes()
        assert handoff.take(record.info.sha256, side) is None  # taken once


def test_handoff_is_bounded_and_side_checked(intake) -> None:  # type: ignore[no-untyped-def]
    service, _ = intake
    handoff = service.hand_off_frames(320, capacity=2)
    records = [service.ingest_bytes(image_bytes("PNG", seed=seed))[0] for seed in range(3)]
    assert handoff.take(records[0].info.sha256, 320) is None  # the oldest was dropped
    assert handoff.take(records[1].info.sha256, 640) is None  # decoded for another size
    assert handoff.take(records[2].info.sha256, 320) is not None

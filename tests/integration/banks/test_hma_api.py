"""HMA's API over real HTTP, answers read as HMA's documentation shapes them: banks made and
listed, photos banked and hashed, near-copies of a banked photo found and other photos not."""

from __future__ import annotations

from typing import Any

import pytest

from bank_media import jpeg, near_copies, photo, slideshow
from banked import Banked


def _shaped_as_lookup(body: Any) -> dict[str, list[dict[str, Any]]]:
    """``{"BANK": [{"bank_content_id": int, "distance": str}]}`` as HMA answers a lookup."""
    assert isinstance(body, dict)
    for bank, matches in body.items():
        assert isinstance(bank, str) and isinstance(matches, list)
        for match in matches:
            assert set(match) == {"bank_content_id", "distance"}
            assert isinstance(match["bank_content_id"], int)
            assert isinstance(match["distance"], str) and match["distance"].isdigit()
    return body


def test_a_bank_is_made_and_listed_as_hma_shows_banks(banked: Banked) -> None:
    made = banked.a.post("/hma/c/banks", json={"name": "HMA_LISTED"})
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "HMA_LISTED"
    assert made.json()["matching_enabled_ratio"] == 1.0
    listed = banked.a.get("/hma/c/banks").json()
    assert {"name": "HMA_LISTED"}.items() <= next(
        b for b in listed if b["name"] == "HMA_LISTED"
    ).items()
    assert banked.a.get("/hma/c/bank/HMA_LISTED").json()["name"] == "HMA_LISTED"
    assert banked.a.get("/hma/status").text == "I-AM-ALIVE"
    assert banked.a.delete("/hma/c/bank/HMA_LISTED").status_code == 200
    assert banked.a.get("/hma/c/bank/HMA_LISTED").status_code == 404


@pytest.mark.parametrize("name", ["lower_case", "HAS SPACE", "1STARTS_WITH_DIGIT", ""])
def test_a_bank_name_that_is_not_upper_case_and_underscores_is_refused(
    banked: Banked, name: str
) -> None:
    refused = banked.a.post("/hma/c/banks", json={"name": name})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "InvalidBankNameException"


def test_a_second_bank_of_the_same_name_is_refused(banked: Banked) -> None:
    assert banked.a.post("/hma/c/banks", json={"name": "TWICE"}).status_code == 201
    again = banked.a.post("/hma/c/banks", json={"name": "TWICE"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "BankExistsException"


def test_near_copies_of_a_banked_photo_match_and_other_photos_do_not(banked: Banked) -> None:
    assert banked.a.post("/hma/c/banks", json={"name": "KNOWN_BAD"}).status_code == 201
    original = photo("astronaut")
    added = banked.a.post(
        "/hma/c/bank/KNOWN_BAD/content", files={"photo": ("a.jpg", jpeg(original))}
    )
    assert added.status_code == 200, added.text
    content_id = added.json()["id"]
    hashed = banked.a.post("/hma/h/hash", files={"photo": ("a.jpg", jpeg(original))}).json()
    assert set(hashed) == {"pdq"} and len(hashed["pdq"]) == 64
    assert added.json()["signals"] == {"pdq": hashed["pdq"]}

    by_hash = banked.a.get("/hma/m/lookup", params={"signal_type": "pdq", "signal": hashed["pdq"]})
    assert _shaped_as_lookup(by_hash.json()) == {
        "KNOWN_BAD": [{"bank_content_id": content_id, "distance": "0"}]
    }
    for change, copy in near_copies(original).items():
        found = banked.a.post("/hma/m/lookup", files={"photo": ("copy.jpg", copy)})
        assert found.status_code == 200, found.text
        matches = _shaped_as_lookup(found.json()["pdq"])
        assert [m["bank_content_id"] for m in matches.get("KNOWN_BAD", [])] == [content_id], change
    for other in ("coffee", "chelsea", "rocket", "camera", "cat"):
        found = banked.a.post("/hma/m/lookup", files={"photo": ("o.jpg", jpeg(photo(other)))})
        assert "KNOWN_BAD" not in found.json()["pdq"], other


def test_a_raw_hash_is_banked_and_looked_up_with_the_coin_flip(banked: Banked) -> None:
    banked.a.post("/hma/c/banks", json={"name": "TRIAL", "enabled_ratio": 0.0})
    signal = "f" * 64
    added = banked.a.post(
        "/hma/c/bank/TRIAL/content", params={"signal_type": "pdq", "signal": signal}
    )
    assert added.status_code == 200, added.text
    query = {"signal_type": "pdq", "signal": "f" * 63 + "e"}
    # A bank matching on no share of lookups is left out unless the coin flip is bypassed.
    assert "TRIAL" not in banked.a.get("/hma/m/lookup", params=query).json()
    bypassed = banked.a.get("/hma/m/lookup", params=query | {"bypass_coinflip": "true"}).json()
    assert bypassed["TRIAL"] == [{"bank_content_id": added.json()["id"], "distance": "1"}]


def test_the_same_seed_gets_the_same_coin_flip(banked: Banked) -> None:
    banked.a.post("/hma/c/banks", json={"name": "HALF", "enabled_ratio": 0.5})
    signal = "0f" * 32
    banked.a.post("/hma/c/bank/HALF/content", params={"signal_type": "pdq", "signal": signal})
    answers = {
        seed: "HALF"
        in banked.a.get(
            "/hma/m/lookup", params={"signal_type": "pdq", "signal": signal, "seed": seed}
        ).json()
        for seed in map(str, range(40))
    }
    assert set(answers.values()) == {True, False}  # about half the seeds, not all or none
    for seed, matched in answers.items():
        again = banked.a.get(
            "/hma/m/lookup", params={"signal_type": "pdq", "signal": signal, "seed": seed}
        ).json()
        assert ("HALF" in again) == matched


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"signal_type": "pdq", "signal": "abc"}, "InvalidSignalException"),
        ({"signal_type": "pdq", "signal": "g" * 64}, "InvalidSignalException"),
        ({"signal_type": "sha1", "signal": "a" * 40}, "UnknownSignalTypeException"),
        ({"signal_type": "video_md5", "signal": "a" * 64}, "InvalidSignalException"),
    ],
)
def test_a_malformed_hash_or_unknown_signal_type_is_refused(
    banked: Banked, params: dict[str, str], code: str
) -> None:
    refused = banked.a.get("/hma/m/lookup", params=params)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == code


def test_a_picture_too_small_or_too_featureless_to_bank_is_refused(banked: Banked) -> None:
    from PIL import Image

    banked.a.post("/hma/c/banks", json={"name": "REFUSALS"})
    tiny = banked.a.post(
        "/hma/c/bank/REFUSALS/content", files={"photo": ("t.png", _png(Image.new("RGB", (8, 8))))}
    )
    assert tiny.status_code == 400
    assert tiny.json()["error"]["code"] == "ImageTooSmallException"
    flat = banked.a.post(
        "/hma/c/bank/REFUSALS/content",
        files={"photo": ("f.png", _png(Image.new("RGB", (200, 200), (90, 90, 90))))},
    )
    assert flat.status_code == 400
    assert flat.json()["error"]["code"] == "LowQualitySignalException"
    assert banked.a.get("/v1/banks/REFUSALS").json()["content_count"] == 0


def test_a_video_is_hashed_and_its_reencoded_copy_matches(banked: Banked) -> None:
    banked.a.post("/hma/c/banks", json={"name": "KNOWN_VIDEOS"})
    original = slideshow(("astronaut", "coffee", "chelsea", "rocket"))
    added = banked.a.post("/hma/c/bank/KNOWN_VIDEOS/content", files={"video": ("v.mp4", original)})
    assert added.status_code == 200, added.text
    assert set(added.json()["signals"]) == {"video_md5"}
    same = banked.a.post("/hma/m/lookup", files={"video": ("v.mp4", original)}).json()
    assert _shaped_as_lookup(same["video_md5"])["KNOWN_VIDEOS"][0]["distance"] == "0"
    smaller = slideshow(("astronaut", "coffee", "chelsea", "rocket"), side=192)
    copy = banked.a.post("/hma/m/lookup", files={"video": ("c.mp4", smaller)}).json()
    assert copy["video_md5"] == {}
    assert copy["vpdq"]["KNOWN_VIDEOS"][0]["bank_content_id"] == added.json()["id"]
    other = slideshow(("camera", "cat", "camera", "cat"))
    assert banked.a.post("/hma/m/lookup", files={"video": ("o.mp4", other)}).json() == {
        "video_md5": {},
        "vpdq": {},
    }


def _png(image: Any) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()

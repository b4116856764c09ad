"""The blocking client against a live server, method by method: what each answers, typed as
the server sends it, and each error raised as its class in the error tree."""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_server import Server

from corpus import video_bytes
from modgate.client import Client, ModerationTimeoutError, Page, verify_webhook
from modgate.client import errors as e
from modgate.client.types import Moderation
from pipeline_helpers import RED, Receiver, marker_png, plain_png, wait_for


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.key, poll_interval=0.1) as client:
        yield client


@pytest.fixture(scope="module")
def clip() -> bytes:
    return video_bytes(
        "mp4", "libx264", seconds=4.0, fps=5, width=96, height=64, colour_at=(1.0, 2.5, RED)
    )


@pytest.fixture(scope="module")
def video(server: Server, clip: bytes) -> Moderation:
    """A decided video moderation; ``moderate(wait=True)`` polls it to its decision."""
    with Client(server.url, server.key, poll_interval=0.1) as client:
        return client.moderate(clip, wait=True, timeout=120, filename="clip.mp4")


def test_health(client: Client) -> None:
    assert client.get_health()["status"] == "ok"


def test_an_image_is_decided_within_the_request(client: Client) -> None:
    moderation = client.moderate(
        marker_png(seed=101),
        wait=True,
        context={"region": "DE", "surface": "dating"},
        external_id="photo-101",
        metadata={"user": 7},
    )
    assert moderation["status"] == "completed" and moderation["final_action"] == "block"
    assert moderation["context"]["region"] == "DE"
    assert moderation["external_id"] == "photo-101" and moderation["metadata"] == {"user": 7}
    assert {label["Name"] for label in moderation.get("labels") or []} >= {"Explicit"}
    assert moderation["media"]["kind"] == "image"
    assert client.get_moderation(moderation["id"]) == moderation


def test_a_text_and_a_caption_are_decided_within_the_request(client: Client) -> None:
    comment = client.moderate(text="I will kill you", language="en", wait=True)
    assert (comment["kind"], comment["final_action"]) == ("text", "block")
    (findings,) = comment.get("text_findings") or []
    assert {label["Name"] for label in findings["Labels"]} >= {"VIOLENCE_OR_THREAT"}
    captioned = client.moderate(plain_png(seed=102), text="call +44 7700 900123", wait=True)
    assert captioned["kind"] == "image" and captioned["action"] == "annotate"
    with pytest.raises(e.EmptyTextException):
        client.moderate(text="\u200b \n")
    with pytest.raises(e.TextSizeLimitExceededException):
        client.moderate(text="a" * 70_000)


def test_media_from_a_path_a_file_base64_and_a_stored_id(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(plain_png(seed=102))
    from_path = client.moderate(path, wait=True)
    assert from_path["status"] == "completed" and from_path["final_action"] == "allow"
    with path.open("rb") as file:
        assert client.moderate(file, wait=True)["media"]["id"] == from_path["media"]["id"]
    as_text = base64.b64encode(marker_png(seed=103)).decode()
    assert client.moderate(base64=as_text, wait=True)["final_action"] == "block"
    stored = client.upload_media(marker_png(seed=104))
    by_id = client.moderate(media_id=stored["id"], wait=True)
    assert by_id["media"]["id"] == stored["id"] and by_id["final_action"] == "block"


def test_media_from_a_blob_key(client: Client, server: Server) -> None:
    server.services.blobs.put_bytes("incoming/acme/from-key.png", marker_png(seed=105))
    moderation = client.moderate(blob_key="incoming/acme/from-key.png", wait=True)
    assert moderation["final_action"] == "block"
    with pytest.raises(e.BlobKeyNotAllowedException) as refused:
        client.moderate(blob_key="incoming/globex/from-key.png")
    assert refused.value.status == 400 and "incoming/<tenant>/" in refused.value.message
    assert isinstance(refused.value, e.InvalidS3ObjectException)


def test_one_media_source_exactly(client: Client) -> None:
    with pytest.raises(TypeError):
        client.moderate()
    with pytest.raises(TypeError):
        client.moderate(b"x", media_id="med_1")


def test_a_request_token_gets_the_same_moderation(client: Client) -> None:
    first = client.moderate(marker_png(seed=106), client_request_token="tok-106")
    again = client.moderate(marker_png(seed=106), client_request_token="tok-106")
    assert again["id"] == first["id"]
    with pytest.raises(e.IdempotentParameterMismatchException) as mismatch:
        client.moderate(marker_png(seed=107), client_request_token="tok-106")
    assert mismatch.value.status == 409


def test_a_video_is_polled_until_it_is_decided(video: Moderation, client: Client) -> None:
    assert video["status"] == "completed" and video["kind"] == "video"
    assert video["final_action"] == "block" and video["flagged_timestamps"] == [1000]


def test_waiting_ends_at_the_timeout(idle_server: Server, clip: bytes) -> None:
    with Client(idle_server.url, idle_server.key, poll_interval=0.1) as client:
        with pytest.raises(ModerationTimeoutError) as late:
            client.moderate(clip, wait=True, timeout=0.6)
        assert late.value.moderation["status"] == "queued"
        assert client.get_moderation(late.value.moderation_id)["status"] == "queued"


def test_video_labels_a_page_at_a_time_and_all_of_them(video: Moderation, client: Client) -> None:
    labels = client.get_moderation_labels(video["id"])
    assert labels["JobStatus"] == "SUCCEEDED" and "NextToken" not in labels
    page = client.get_moderation_labels(video["id"], max_results=1, sort_by="NAME")
    assert len(page["ModerationLabels"]) == 1 and page["NextToken"]
    every = list(client.iter_moderation_labels(video["id"], max_results=1))
    assert every == labels["ModerationLabels"] and len(every) > 1
    segments = client.get_moderation_labels(video["id"], aggregate_by="SEGMENTS")[
        "ModerationLabels"
    ]
    assert all("EndTimestampMillis" in segment for segment in segments)
    with pytest.raises(e.InvalidParameterException):
        client.get_moderation_labels(video["id"], next_token="not-a-token")
    image = client.moderate(marker_png(seed=109), wait=True)
    with pytest.raises(e.InvalidParameterException) as still:
        client.get_moderation_labels(image["id"])
    assert "still image" in still.value.message


def test_thumbnails_blurred_and_clear(video: Moderation, client: Client, server: Server) -> None:
    blurred = client.get_moderation_thumbnail(video["id"], 1000)
    clear = client.get_moderation_thumbnail(video["id"], 1000, blurred=False)
    assert blurred[:2] == clear[:2] == b"\xff\xd8" and blurred != clear
    with pytest.raises(e.ResourceNotFoundException):
        client.get_moderation_thumbnail(video["id"], 1234)
    with Client(server.url, server.key_with("moderations:read")) as reader:
        assert reader.get_moderation_thumbnail(video["id"], 1000) == blurred
        with pytest.raises(e.AccessDeniedException) as denied:
            reader.get_moderation_thumbnail(video["id"], 1000, blurred=False)
        assert denied.value.status == 403


def test_listing_page_by_page_and_every_item(client: Client) -> None:
    made = [
        client.moderate(marker_png(seed=110 + n), external_id="listed", wait=True)["id"]
        for n in range(3)
    ]
    page = client.list_moderations(external_id="listed", limit=2)
    assert isinstance(page, Page) and [m["id"] for m in page.items] == made[::-1][:2]
    assert page.next_cursor
    rest = client.list_moderations(external_id="listed", limit=2, cursor=page.next_cursor)
    assert [m["id"] for m in rest.items] == made[:1] and rest.next_cursor is None
    every = [m["id"] for m in client.iter_moderations(external_id="listed", limit=1)]
    assert every == made[::-1]
    assert [m["id"] for m in client.iter_moderations(external_id="nobody")] == []
    since = dt.datetime(2000, 1, 1)  # a naive time is UTC
    assert len(client.list_moderations(external_id="listed", created_after=since).items) == 3
    assert client.list_moderations(external_id="listed", created_before=since).items == []
    with pytest.raises(e.InvalidParameterException):
        client.list_moderations(status="maybe")  # type: ignore[arg-type]


def test_appeal_once(client: Client) -> None:
    moderation = client.moderate(marker_png(seed=120), wait=True)
    appeal = client.create_appeal(moderation["id"], "It is a painting.", appellant="user-9")
    assert appeal["moderation_id"] == moderation["id"] and appeal["status"] == "open"
    assert appeal["previous_action"] == "block" and appeal["appellant"] == "user-9"
    with pytest.raises(e.AlreadyAppealedException) as twice:
        client.create_appeal(moderation["id"], "Again.")
    assert isinstance(twice.value, e.ConflictException) and twice.value.status == 409
    with pytest.raises(e.ResourceNotFoundException):
        client.create_appeal("mod_missing", "Hello.")


def test_review_queues(client: Client) -> None:
    moderation = client.moderate(marker_png(seed=121), wait=True)
    client.create_appeal(moderation["id"], "Not what it seems.")
    queues = {queue["queue"]: queue for queue in client.list_review_queues()}
    assert queues["appeals"]["depth"] >= 1 and queues["appeals"]["overdue"] == 0


def test_decisions_for_a_viewer(client: Client) -> None:
    flagged = client.moderate(marker_png(seed=122), wait=True)
    clean = client.moderate(plain_png(seed=123), wait=True)
    one = client.get_viewer_decision(flagged["id"], audience="18+", local_time="12:00")
    assert one["status"] == "decided" and one["action"] == "block" and one["policy_version"]
    page = client.decide_for_viewer([clean["id"], "mod_missing", flagged["id"]], region="DE")
    assert [(d["moderation_id"], d["status"]) for d in page] == [
        (clean["id"], "decided"),
        ("mod_missing", "not_found"),
        (flagged["id"], "decided"),
    ]
    with pytest.raises(e.TooManyItemsException) as too_many:
        client.decide_for_viewer(["mod_x"] * 1001)
    assert isinstance(too_many.value, e.InvalidParameterException)
    with pytest.raises(e.UnknownSurfaceException):
        client.get_viewer_decision(flagged["id"], surface="no-such-surface")
    with pytest.raises(e.ResourceNotFoundException):
        client.get_viewer_decision("mod_missing")


def test_media_upload_facts_and_previews(client: Client, server: Server) -> None:
    data = marker_png(seed=130)
    uploaded = client.upload_media(io.BytesIO(data))
    assert uploaded["created"] is True and uploaded["size_bytes"] == len(data)
    assert client.upload_media(data)["created"] is False
    facts = client.get_media(uploaded["id"])
    assert facts["sha256"] == uploaded["sha256"] and "created" not in facts
    blurred = client.get_media_preview(uploaded["id"])
    clear = client.get_media_preview(uploaded["id"], blurred=False)
    assert blurred[:2] == b"\xff\xd8" and clear[:2] == b"\xff\xd8" and blurred != clear
    with pytest.raises(e.ResourceNotFoundException):
        client.get_media("med_missing")
    with pytest.raises(e.EmptyMediaException) as empty:
        client.upload_media(b"")
    assert isinstance(empty.value, e.InvalidParameterException)
    with pytest.raises(e.UnsafeMediaTypeException) as svg:
        client.upload_media(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert svg.value.status == 415 and isinstance(svg.value, e.UnsupportedMediaTypeException)
    # An erasure request: the bytes go (a preview is 410 now), the record stays.
    erased = client.erase_media(uploaded["id"])
    assert erased["deleted"] == ["originals", "previews", "thumbnails"]
    with pytest.raises(e.MediaDeletedException) as gone:
        client.get_media_preview(uploaded["id"])
    assert gone.value.status == 410
    assert client.get_media(uploaded["id"])["deleted"] == ["original", "previews", "thumbnails"]


def test_webhooks_registered_delivered_verified_and_deleted(client: Client) -> None:
    with Receiver() as receiver:
        endpoint = client.create_webhook(receiver.url, events=["moderation.completed"])
        secret = endpoint["secret"]
        assert endpoint["events"] == ["moderation.completed"] and endpoint["active"]
        assert endpoint["id"] in {hook["id"] for hook in client.list_webhooks()}
        assert all("secret" not in hook for hook in client.list_webhooks())
        moderation = client.moderate(marker_png(seed=140), wait=True)
        wait_for(lambda: receiver.requests, timeout=30)
        request = receiver.requests[0]
        event = verify_webhook(request["headers"], request["body"], secret)
        assert event["type"] == "moderation.completed"
        assert event["data"]["moderation_id"] == moderation["id"]
        with pytest.raises(e.WebhookSignatureError):
            verify_webhook(request["headers"], request["body"] + b" ", secret)
        with pytest.raises(e.WebhookSignatureError):
            verify_webhook(request["headers"], request["body"], "another secret, long enough")
        deliveries = wait_for(
            lambda: [
                d
                for d in client.iter_webhook_deliveries(endpoint["id"])
                if d["status"] == "delivered"
            ]
        )
        assert deliveries[0]["moderation_id"] == moderation["id"]
        page = client.list_webhook_deliveries(endpoint["id"], limit=1)
        assert len(page.items) == 1
    client.delete_webhook(endpoint["id"])
    assert endpoint["id"] not in {hook["id"] for hook in client.list_webhooks()}
    with pytest.raises(e.ResourceNotFoundException):
        client.delete_webhook(endpoint["id"])
    with pytest.raises(e.OutboundAddressRefusedException) as internal:
        client.create_webhook("http://10.0.0.1/hook")
    assert internal.value.details == {"address_class": "private"}
    with pytest.raises(e.WebhookSecretTooShortException):
        client.create_webhook(receiver.url, secret="short")


def test_credentials_errors(server: Server) -> None:
    with Client(server.url) as anonymous, pytest.raises(e.AuthenticationRequiredException) as no:
        anonymous.list_webhooks()
    assert no.value.status == 401 and no.value.code == "AuthenticationRequiredException"
    with Client(server.url, "mgk_unknown") as unknown, pytest.raises(e.ModgateAPIError) as bad:
        unknown.get_media("med_1")
    assert bad.value.status == 401
    with Client(server.url, server.key_with("media:read")) as reader:
        with pytest.raises(e.AccessDeniedException) as denied:
            reader.list_webhooks()
        assert denied.value.status == 403 and denied.value.message


def test_the_audit_log_its_proofs_and_checkpoint(client: Client) -> None:
    moderation = client.moderate(marker_png(seed=124), wait=True)
    entries = list(client.list_audit_entries(object=f"moderation:{moderation['id']}").items)
    assert entries, "the moderation's changes are on record"
    assert all(entry["tenant"] == "acme" for entry in entries)
    newest = entries[-1]
    proof = client.get_audit_inclusion_proof(newest["seq"])
    assert proof["seq"] == newest["seq"] and proof["leaf_hash"] == newest["leaf_hash"]
    consistency = client.get_audit_consistency_proof(1, to_size=proof["tree_size"])
    assert consistency["to_root"] == proof["root_hash"]
    with pytest.raises(e.ResourceNotFoundException):
        client.get_latest_audit_checkpoint()  # no signing key configured here
    with pytest.raises(e.InvalidParameterException):
        client.list_audit_entries(since="yesterday")


def test_the_metrics_summary(client: Client) -> None:
    client.moderate(marker_png(seed=125), wait=True)
    summary = client.get_metrics_summary(since="2020-01-01T00:00:00Z")
    assert summary["total"] >= 1
    ratios = summary["auto_allowed_ratio"] + summary["auto_blocked_ratio"] + summary["review_ratio"]
    assert 0 < ratios <= 1.0 + 1e-9
    with pytest.raises(e.InvalidParameterException):
        client.get_metrics_summary(since="2026-12-02T00:00:00Z", until="2026-12-01T00:00:00Z")

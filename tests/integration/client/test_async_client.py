"""The asyncio client against a live server: every method, each answering what the blocking
client does (they send the same requests), errors and waits included."""

from __future__ import annotations

import asyncio

import pytest
from client_server import Server

from corpus import video_bytes
from modgate.client import AsyncClient, ModerationTimeoutError, Page, verify_webhook
from modgate.client import errors as e
from pipeline_helpers import RED, Receiver, marker_png


async def _every_method(server: Server, receiver_url: str) -> dict[str, object]:
    seen: dict[str, object] = {}
    async with AsyncClient(server.url, server.key, poll_interval=0.1) as client:
        seen["health"] = (await client.get_health())["status"]
        endpoint = await client.create_webhook(receiver_url, secret="a secret of 16+ bytes")
        seen["webhooks"] = [hook["id"] for hook in await client.list_webhooks()] == [endpoint["id"]]
        image = await client.moderate(marker_png(seed=201), wait=True, external_id="async")
        seen["image"] = (image["status"], image["final_action"])
        assert (await client.get_moderation(image["id"]))["id"] == image["id"]
        clip = video_bytes(
            "mp4", "libx264", seconds=3.0, fps=5, width=96, height=64, colour_at=(1.0, 2.0, RED)
        )
        video = await client.moderate(clip, wait=True, timeout=120)
        seen["video"] = (video["status"], video["kind"], video["flagged_timestamps"])
        labels = await client.get_moderation_labels(video["id"])
        every = [label async for label in client.iter_moderation_labels(video["id"], max_results=1)]
        seen["labels"] = every == labels["ModerationLabels"] and len(every) > 1
        seen["thumbnail"] = (await client.get_moderation_thumbnail(video["id"], 1000))[:2]
        page = await client.list_moderations(external_id="async")
        seen["page"] = isinstance(page, Page) and [m["id"] for m in page.items] == [image["id"]]
        seen["iter"] = [m["id"] async for m in client.iter_moderations(limit=1)][:2] == [
            video["id"],
            image["id"],
        ]
        seen["appeal"] = (await client.create_appeal(image["id"], "A painting."))["status"]
        seen["queues"] = isinstance(await client.list_review_queues(), list)
        viewer = await client.get_viewer_decision(image["id"], audience="18+")
        page_of_decisions = await client.decide_for_viewer([image["id"]], region="DE")
        seen["viewer"] = (viewer["action"], [d["moderation_id"] for d in page_of_decisions])
        seen["image_id"] = image["id"]
        media = await client.upload_media(marker_png(seed=202))
        seen["media"] = (await client.get_media(media["id"]))["sha256"] == media["sha256"]
        seen["preview"] = (await client.get_media_preview(media["id"]))[:2]
        deliveries = [d async for d in client.iter_webhook_deliveries(endpoint["id"])]
        first = await client.list_webhook_deliveries(endpoint["id"], limit=1)
        seen["deliveries"] = first.items[:1] == deliveries[:1]
        await client.delete_webhook(endpoint["id"])
        seen["deleted"] = await client.list_webhooks() == []
        try:
            await client.get_media("med_missing")
        except e.ResourceNotFoundException as missing:
            seen["missing"] = (missing.status, missing.code)
    return seen


def test_every_method(server: Server) -> None:
    with Receiver() as receiver:
        seen = asyncio.run(_every_method(server, receiver.url))
        assert receiver.requests, "the webhook endpoint heard of the moderations"
        event = verify_webhook(
            receiver.requests[0]["headers"], receiver.requests[0]["body"], "a secret of 16+ bytes"
        )
        assert event["type"] == "moderation.completed"
    assert seen == {
        "health": "ok",
        "webhooks": True,
        "image": ("completed", "block"),
        "video": ("completed", "video", [1000]),
        "labels": True,
        "thumbnail": b"\xff\xd8",
        "page": True,
        "iter": True,
        "appeal": "open",
        "queues": True,
        "viewer": ("block", [seen["image_id"]]),
        "media": True,
        "preview": b"\xff\xd8",
        "deliveries": True,
        "deleted": True,
        "missing": (404, "ResourceNotFoundException"),
        "image_id": seen["image_id"],
    }


def test_waiting_ends_at_the_timeout(idle_server: Server) -> None:
    clip = video_bytes("mp4", "libx264", seconds=1.0, fps=5, width=96, height=64)

    async def late() -> None:
        async with AsyncClient(idle_server.url, idle_server.key, poll_interval=0.1) as client:
            await client.moderate(clip, wait=True, timeout=0.5)

    with pytest.raises(ModerationTimeoutError) as timed_out:
        asyncio.run(late())
    assert timed_out.value.moderation["status"] == "queued"

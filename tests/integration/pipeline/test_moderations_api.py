"""The moderation API end to end over real HTTP, on both deployments (see conftest.py)."""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from corpus import bad_corpus
from modgate.detection.tables import DetectionRow
from modgate.media.service import preview_keys
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.pipeline.tables import JobRow
from pipeline_helpers import marker_png, plain_png, wait_decided, wait_for

BAD = bad_corpus()


def test_image_with_wait_returns_the_decision(deployment) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(
        f"{deployment.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", marker_png())},
        data={"region": "DE"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert body["action"] == "block" and body["final_action"] == "block"
    assert body["rule"] and body["policy_version"]
    names = {label["Name"] for label in body["labels"]}
    assert {"Explicit", "Explicit Nudity"} <= names
    assert body["decision"]["reasons"]
    assert body["context"] == {"region": "DE"}
    with deployment.services.sessions() as session:
        job = session.scalars(select(JobRow).where(JobRow.moderation_id == body["id"])).one()
    assert job.status == "succeeded" and job.attempts == 1
    if deployment.kind == "embedded":  # a free slot: the request's own thread ran the job
        assert str(job.locked_by).startswith("request@")


def test_the_answer_to_wait_is_what_get_returns(deployment) -> None:  # type: ignore[no-untyped-def]
    """A request that waits gets the moderation exactly as a later GET shows it."""
    for image in (marker_png(11), plain_png(12)):
        response = httpx.post(
            f"{deployment.url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("x.png", image)},
            data={
                "surface": "comments",
                "external_id": "post-17",
                "metadata": '{"author": "u-9", "tags": ["a", "b"]}',
            },
            timeout=60,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["metadata"] == {"author": "u-9", "tags": ["a", "b"]}
        stored = httpx.get(f"{deployment.url}/v1/moderations/{body['id']}").json()
        assert body == stored


def test_a_waiting_request_whose_job_a_worker_ran_gets_the_stored_moderation(deployment) -> None:  # type: ignore[no-untyped-def]
    run_here = deployment.services.pipeline.moderations.run_here
    busy = 0
    while run_here is not None and run_here.acquire():  # every slot taken: a worker runs it
        busy += 1
    try:
        response = httpx.post(
            f"{deployment.url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("x.png", plain_png(13))},
            data={"metadata": '{"k": 1}', "external_id": "e-13"},
            timeout=60,
        )
    finally:
        for _ in range(busy):
            run_here.release()
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "completed" and body["metadata"] == {"k": 1}
    with deployment.services.sessions() as session:
        job = session.scalars(select(JobRow).where(JobRow.moderation_id == body["id"])).one()
    assert not str(job.locked_by).startswith("request@")
    assert body == httpx.get(f"{deployment.url}/v1/moderations/{body['id']}").json()


def test_previews_of_auto_decided_items_are_made_when_asked(deployment) -> None:  # type: ignore[no-untyped-def]
    body = httpx.post(
        f"{deployment.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", plain_png(77, size=900))},
        timeout=60,
    ).json()
    assert body["action"] == "allow"
    blurred_key = preview_keys(body["media"]["sha256"])[1]
    assert not deployment.services.blobs.exists(blurred_key)
    for blurred in ("true", "false"):
        response = httpx.get(
            f"{deployment.url}/v1/media/{body['media']['id']}/preview", params={"blurred": blurred}
        )
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(response.content)).size == (512, 512)
    assert deployment.services.blobs.exists(blurred_key)


def test_async_submission_completes_and_lists(deployment) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for seed in range(3):
        response = httpx.post(
            f"{deployment.url}/v1/moderations",
            files={"file": ("x.png", plain_png(seed))},
            data={"external_id": f"upload-{seed}", "surface": "default"},
        )
        assert response.status_code == 202
        ids.append(response.json()["id"])
    for moderation_id in ids:
        assert wait_decided(deployment.url, moderation_id)["action"] == "allow"
    page = httpx.get(f"{deployment.url}/v1/moderations", params={"limit": 2}).json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    rest = httpx.get(
        f"{deployment.url}/v1/moderations", params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [item["id"] for item in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    only = httpx.get(f"{deployment.url}/v1/moderations", params={"external_id": "upload-1"})
    assert [item["id"] for item in only.json()["items"]] == [ids[1]]
    allowed = httpx.get(f"{deployment.url}/v1/moderations", params={"action": "allow"}).json()
    assert len(allowed["items"]) == 3
    # A filter value no moderation can have is a mistake to report, not an empty page.
    for name, value in (("status", "done"), ("action", "allowed"), ("kind", "gif")):
        refused = httpx.get(f"{deployment.url}/v1/moderations", params={name: value})
        assert refused.status_code == 400, name
        assert refused.json()["error"]["code"] == "InvalidParameterException"


def test_base64_and_blob_key_sources(deployment) -> None:  # type: ignore[no-untyped-def]
    encoded = base64.b64encode(marker_png(3)).decode()
    response = httpx.post(
        f"{deployment.url}/v1/moderations",
        json={"media": {"base64": encoded}, "wait": True, "context": {"surface": "default"}},
        timeout=60,
    )
    assert response.status_code == 201 and response.json()["action"] == "block"
    deployment.services.blobs.put_bytes("incoming/default/photo.png", plain_png(4))
    response = httpx.post(
        f"{deployment.url}/v1/moderations",
        json={"media": {"blob_key": "incoming/default/photo.png"}, "wait": True},
    )
    assert response.status_code == 201 and response.json()["action"] == "allow"
    missing = httpx.post(
        f"{deployment.url}/v1/moderations",
        json={"media": {"blob_key": "incoming/default/none.png"}},
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "InvalidS3ObjectException"
    broken = httpx.post(f"{deployment.url}/v1/moderations", json={"media": {"base64": "@@"}})
    assert broken.json()["error"]["code"] == "InvalidParameterException"
    # What other clients send: MIME line breaks, a data: URI.
    for sent in (
        base64.encodebytes(marker_png(3)).decode(),
        "data:image/png;base64," + encoded,
    ):
        response = httpx.post(
            f"{deployment.url}/v1/moderations", json={"media": {"base64": sent}, "wait": True}
        )
        assert response.status_code == 201 and response.json()["action"] == "block"


def test_client_request_token_is_idempotent(deployment) -> None:  # type: ignore[no-untyped-def]
    files = {"file": ("x.png", plain_png(7))}
    first = httpx.post(
        f"{deployment.url}/v1/moderations",
        files=files,
        data={"client_request_token": "tok-1", "region": "FR"},
    )
    again = httpx.post(
        f"{deployment.url}/v1/moderations",
        files=files,
        data={"client_request_token": "tok-1", "region": "FR"},
    )
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = httpx.post(
        f"{deployment.url}/v1/moderations",
        files=files,
        data={"client_request_token": "tok-1", "region": "US"},
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IdempotentParameterMismatchException"
    # New bytes under a used token: refused before they are stored, so none are left behind.
    new_bytes = httpx.post(
        f"{deployment.url}/v1/moderations",
        files={"file": ("y.png", plain_png(8))},
        data={"client_request_token": "tok-1", "region": "FR"},
    )
    assert new_bytes.status_code == 409
    assert len(deployment.services.media.blobs.keys("media/")) == 1
    with deployment.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ModerationRow)) == 1


def test_the_same_new_bytes_sent_at_once_are_stored_once(deployment) -> None:  # type: ignore[no-untyped-def]
    data = plain_png(41, size=300)

    def send(region: str) -> httpx.Response:
        return httpx.post(
            f"{deployment.url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("x.png", data)},
            data={"region": region},
            timeout=60,
        )

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(send, ["DE", "US", "FR", "IT", "ES", "NL"]))
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    bodies = [r.json() for r in responses]
    assert len({body["id"] for body in bodies}) == 6
    assert len({body["media"]["id"] for body in bodies}) == 1
    assert all(body["status"] == "completed" for body in bodies)
    with deployment.services.sessions() as session:
        sha256 = bodies[0]["media"]["sha256"]
        media_rows = session.scalar(
            select(func.count()).select_from(MediaRow).where(MediaRow.sha256 == sha256)
        )
    assert media_rows == 1
    for body in bodies:
        assert body == httpx.get(f"{deployment.url}/v1/moderations/{body['id']}").json()


def test_identical_bytes_reuse_stored_detections(deployment) -> None:  # type: ignore[no-untyped-def]
    data = marker_png(11)
    bodies = [
        httpx.post(
            f"{deployment.url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("x.png", data)},
            data={"region": region},
            timeout=60,
        ).json()
        for region in ("DE", "US")
    ]
    assert bodies[0]["id"] != bodies[1]["id"]
    assert bodies[0]["labels"] == bodies[1]["labels"]
    with deployment.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DetectionRow)) == 1
        assert session.scalar(select(func.count()).select_from(JobRow)) == 2


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_uploads_are_refused_and_nothing_is_stored(deployment, name: str) -> None:  # type: ignore[no-untyped-def]
    file_name, data, code = BAD[name]
    response = httpx.post(
        f"{deployment.url}/v1/moderations", files={"file": (file_name, data)}, timeout=60
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == code
    with deployment.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ModerationRow)) == 0
        assert session.scalar(select(func.count()).select_from(JobRow)) == 0


def test_bad_context_and_bodies(deployment) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(
        f"{deployment.url}/v1/moderations",
        files={"file": ("x.png", plain_png())},
        data={"region": "Narnia"},
    )
    assert response.status_code == 400
    assert (
        httpx.post(
            f"{deployment.url}/v1/moderations", content=b"x", headers={"content-type": "text/plain"}
        ).status_code
        == 400
    )
    assert (
        httpx.post(
            f"{deployment.url}/v1/moderations",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ).status_code
        == 400
    )
    assert httpx.get(f"{deployment.url}/v1/moderations/mod_x").status_code == 404
    assert httpx.get(f"{deployment.url}/v1/moderations", params={"cursor": "zz"}).status_code == 400
    two_files = httpx.post(
        f"{deployment.url}/v1/moderations",
        files=[("file", ("a.png", plain_png(1))), ("file", ("b.png", plain_png(2)))],
    )
    assert two_files.status_code == 400  # which one would be moderated? Neither, say so
    assert two_files.json()["error"]["code"] == "InvalidParameterException"
    with deployment.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ModerationRow)) == 0


def test_active_policy_per_surface_and_shadow_candidates(deployment) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from modgate.policy import load_policy
    from modgate.policy.store import SqlPolicyStore

    policies = Path(__file__).parents[3] / "policies"
    store = SqlPolicyStore(deployment.services.sessions)
    kids = store.save(load_policy(policies / "kids.yaml"), author="user:usr_lead")
    seed = store.save(load_policy(policies / "seed.yaml"), author="user:usr_lead")
    store.activate(kids.version, "kids", actor="user:usr_lead")
    store.start_shadow(seed.version, "kids", actor="user:usr_lead")
    response = httpx.post(
        f"{deployment.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", marker_png(21))},
        data={"surface": "kids", "audience": "8-12", "region": "DE"},
        timeout=60,
    )
    body = response.json()
    assert body["policy_version"] == kids.version
    assert body["action"] == "block"
    records = wait_for(lambda: store.shadow_records("kids"), timeout=20)
    assert [r.candidate_version for r in records] == [seed.version]
    assert records[0].moderation_id == body["id"]
    assert records[0].active_version == kids.version
    # A surface with no active policy falls back to the shipped default.
    other = httpx.post(
        f"{deployment.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", marker_png(22))},
        data={"surface": "dating"},
        timeout=60,
    ).json()
    assert other["policy_version"] == seed.version


@pytest.mark.parametrize(
    "body",
    [
        {"media": {"base64": 123}},
        {"media": {"blob_key": ["a"]}},
        {"media": {"base64": "aGVsbG8="}, "external_id": {"a": 1}},
        {"media": {"base64": "aGVsbG8="}, "client_request_token": ["x"]},
        {"media": {"base64": "aGVsbG8="}, "client_request_token": "x" * 500},
        {"media": {"base64": "aGVsbG8="}, "client_request_token": "   "},
        {"media": {"base64": "aGVsbG8="}, "client_request_token": " tok"},
        {"media": {"base64": "aGVsbG8="}, "wait": "maybe"},
        {"media": {"base64": "aGVsbG8="}, "external_id": "x" * 1000},
        {"media": {"base64": "aGVsbG8="}, "context": {"region": ["DE"]}},
        {"media": {"base64": "aGVsbG8="}, "surprise": True},
        {"context": {}},
        [1, 2],
    ],
)
def test_malformed_json_bodies_get_400(deployment, body) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{deployment.url}/v1/moderations", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "InvalidParameterException"


def test_form_fields_are_checked_like_json_ones(deployment) -> None:  # type: ignore[no-untyped-def]
    """``wait`` as a form field means what it means in the query (``maybe`` is a 400, not a
    silent false); a blank token is refused, not shared by unrelated requests."""
    url = f"{deployment.url}/v1/moderations"
    for fields in ({"wait": "maybe"}, {"client_request_token": "  "}):
        response = httpx.post(url, files={"file": ("x.png", plain_png(9))}, data=fields)
        assert response.status_code == 400, (fields, response.text)
    waited = httpx.post(
        url, files={"file": ("x.png", plain_png(9))}, data={"wait": "yes"}, timeout=60
    )
    assert waited.status_code == 201 and waited.json()["status"] == "completed"


def test_a_job_whose_workers_keep_dying_is_failed_and_sent_to_review(deployment) -> None:  # type: ignore[no-untyped-def]
    """A poison job (its worker crashed or hung on every try) is not started forever: once its
    tries are used up it fails with the reason and the item goes to review."""
    import datetime as dt

    from modgate.db.base import new_id, transaction, utcnow

    services = deployment.services
    record, _ = services.media.ingest_bytes(plain_png(4242))
    moderation_id, now = new_id("mod"), utcnow()
    with transaction(services.sessions) as session:
        session.add(
            ModerationRow(
                id=moderation_id,
                media_id=record.id,
                sha256=record.info.sha256,
                kind="image",
                status="queued",
                context={},
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(  # the third and last try was taken by a worker that died long ago
            JobRow(
                id=new_id("job"),
                moderation_id=moderation_id,
                status="running",
                attempts=3,
                max_attempts=3,
                locked_by="worker@elsewhere:1:dead",
                locked_until=now - dt.timedelta(minutes=5),
                run_after=now,
                created_at=now,
                updated_at=now,
            )
        )
    failed = wait_decided(deployment.url, moderation_id, timeout=60)
    assert failed["status"] == "failed" and failed["action"] == "review"
    assert failed["rule"] == "modgate.processing-failed"
    assert failed["error"]["code"] == "JobAbandoned"
    assert "never finished" in failed["error"]["message"]
    assert failed["review"]["queue"] == "failures"
    with services.sessions() as session:
        job = session.scalars(select(JobRow).where(JobRow.moderation_id == moderation_id)).one()
    assert job.status == "failed" and job.attempts == 4
    # Nothing was detected: the item was not tried a fourth time.
    with services.sessions() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(DetectionRow)
            .where(DetectionRow.sha256 == record.info.sha256)
        )
    assert stored == 0


def test_with_request_jobs_0_waiting_requests_leave_every_job_to_the_workers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings
    from servers import LiveServer

    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "request_jobs": 0, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
    )
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            assert services.pipeline.moderations.run_here is None
            response = httpx.post(
                f"{server.url}/v1/moderations",
                params={"wait": "true"},
                files={"file": ("x.png", marker_png(5))},
                timeout=60,
            )
            assert response.status_code == 201, response.text
            body = response.json()
            assert body["action"] == "block"
            with services.sessions() as session:
                job = session.scalars(
                    select(JobRow).where(JobRow.moderation_id == body["id"])
                ).one()
            assert str(job.locked_by).startswith("embedded@")
            assert body == httpx.get(f"{server.url}/v1/moderations/{body['id']}").json()
    finally:
        services.close()

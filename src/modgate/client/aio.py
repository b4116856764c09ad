"""``AsyncClient``: the modgate API over httpx, one coroutine per operation."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeVar, Unpack

import httpx

from modgate.client import flow, operations
from modgate.client.flow import Flow, Pause
from modgate.client.operations.call import Call, MediaInput
from modgate.client.operations.moderations import (
    LabelOptions,
    ModerationFields,
    ModerationFilters,
)
from modgate.client.retry import Retry
from modgate.client.settings import ClientSettings
from modgate.client.types import (
    BankContent,
    Delivery,
    Moderation,
    ModerationBrief,
    Page,
    TimedLabel,
)

P = ParamSpec("P")
T = TypeVar("T")


def _method(
    builder: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncClient, P], Awaitable[T]]:
    """A client coroutine sending what ``builder`` builds (its signature and documentation)."""

    @functools.wraps(builder)
    async def method(self: AsyncClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.call(builder(*args, **kwargs))

    return method


class AsyncClient:
    """The modgate API at ``base_url`` with ``api_key``, for asyncio; as ``Client``, each
    method a coroutine, each ``iter_`` method an async iterator.

    Errors raise ``modgate.client.errors`` classes; 429 and 503 answers are tried again as
    ``retry`` says (``Retry()``: 3 tries, honouring ``Retry-After``; ``NO_RETRY`` to turn off).
    ``timeout`` bounds each request, ``wait_timeout`` the wait of ``moderate(wait=True)``.
    Use it as a context manager, or ``close()`` it."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = 60.0,
        retry: Retry | None = None,
        wait_timeout: float = 600.0,
        poll_interval: float = 1.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = ClientSettings.of(base_url, api_key, retry, wait_timeout, poll_interval)
        self.http = httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=self.settings.headers(headers),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(self, call: Call[T]) -> T:
        """Send ``call`` (an ``operations`` builder's request), retrying as configured."""
        return await self._run(flow.send(call, self.settings.retry))

    async def _run(self, steps: Flow[T]) -> T:
        step = next(steps)
        while True:
            reply: httpx.Response | None = None
            if isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
            else:
                with step.files() as files:
                    reply = await self.http.request(
                        step.method,
                        step.path,
                        params=step.params,
                        json=step.json,
                        data=step.data,
                        files=files,
                    )
            try:
                step = steps.send(reply)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    async def moderate(
        self,
        media: MediaInput | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
        **fields: Unpack[ModerationFields],
    ) -> Moderation:
        """Moderate ``media`` (bytes, a path or a binary file), or the media named by
        ``media_id``, ``blob_key`` or ``base64``, or a ``text`` (beside media: its caption).
        With ``wait``, answer once it is decided: an image or a text within the request, a
        video (always asynchronous on the server) by polling until it is, for at most
        ``timeout`` seconds (default: the client's ``wait_timeout``); then
        ``ModerationTimeoutError``, whose ``moderation_id`` can be polled later."""
        call = operations.create_moderation(media, wait=wait, **fields)
        settings = self.settings
        return await self._run(
            flow.moderate(
                call,
                settings.retry,
                wait,
                settings.wait_timeout if timeout is None else timeout,
                settings.poll_interval,
            )
        )

    create_moderation = moderate  # the operation's name in the OpenAPI document

    def iter_moderations(
        self, **filters: Unpack[ModerationFilters]
    ) -> AsyncIterator[ModerationBrief]:
        """Every moderation matching ``filters``, newest first, page after page."""
        return self._items(lambda cursor: operations.list_moderations(cursor=cursor, **filters))

    def iter_webhook_deliveries(
        self, endpoint_id: str, *, limit: int | None = None
    ) -> AsyncIterator[Delivery]:
        """An endpoint's whole delivery log, newest first, page after page."""
        return self._items(
            lambda cursor: operations.list_webhook_deliveries(
                endpoint_id, limit=limit, cursor=cursor
            )
        )

    def iter_bank_contents(
        self, bank_name: str, *, limit: int | None = None
    ) -> AsyncIterator[BankContent]:
        """Every content of a bank, by id, page after page."""
        return self._items(
            lambda cursor: operations.list_bank_contents(bank_name, limit=limit, cursor=cursor)
        )

    def iter_moderation_labels(
        self, moderation_id: str, **options: Unpack[LabelOptions]
    ) -> AsyncIterator[TimedLabel]:
        """Every label of a video, across ``NextToken`` pages."""
        return self._items(
            lambda token: operations.moderation_label_page(moderation_id, token, **options)
        )

    async def _items(self, page: Callable[[str | None], Call[Page[T]]]) -> AsyncIterator[T]:
        cursor: str | None = None
        while True:
            current = await self.call(page(cursor))
            for item in current.items:
                yield item
            cursor = current.next_cursor
            if not cursor:
                return

    get_health = _method(operations.get_health)
    get_moderation = _method(operations.get_moderation)
    list_moderations = _method(operations.list_moderations)
    get_moderation_labels = _method(operations.get_moderation_labels)
    get_moderation_thumbnail = _method(operations.get_moderation_thumbnail)
    create_appeal = _method(operations.create_appeal)
    list_review_queues = _method(operations.list_review_queues)
    list_audit_entries = _method(operations.list_audit_entries)
    get_metrics_summary = _method(operations.get_metrics_summary)
    get_metrics_tuning = _method(operations.get_metrics_tuning)
    get_audit_inclusion_proof = _method(operations.get_audit_inclusion_proof)
    get_audit_consistency_proof = _method(operations.get_audit_consistency_proof)
    get_latest_audit_checkpoint = _method(operations.get_latest_audit_checkpoint)
    get_viewer_decision = _method(operations.get_viewer_decision)
    decide_for_viewer = _method(operations.decide_for_viewer)
    upload_media = _method(operations.upload_media)
    get_media = _method(operations.get_media)
    get_media_preview = _method(operations.get_media_preview)
    erase_media = _method(operations.erase_media)
    create_webhook = _method(operations.create_webhook)
    list_webhooks = _method(operations.list_webhooks)
    delete_webhook = _method(operations.delete_webhook)
    list_webhook_deliveries = _method(operations.list_webhook_deliveries)
    create_stream = _method(operations.create_stream)
    list_streams = _method(operations.list_streams)
    get_stream = _method(operations.get_stream)
    get_stream_thumbnail = _method(operations.get_stream_thumbnail)
    stop_stream = _method(operations.stop_stream)
    train_custom_label = _method(operations.train_custom_label)
    get_custom_label_job = _method(operations.get_custom_label_job)
    list_banks = _method(operations.list_banks)
    create_bank = _method(operations.create_bank)
    import_bank_entries = _method(operations.import_bank_entries)
    get_bank = _method(operations.get_bank)
    update_bank = _method(operations.update_bank)
    delete_bank = _method(operations.delete_bank)
    list_bank_contents = _method(operations.list_bank_contents)
    add_bank_content = _method(operations.add_bank_content)
    export_bank = _method(operations.export_bank)
    get_bank_content = _method(operations.get_bank_content)
    update_bank_content = _method(operations.update_bank_content)
    delete_bank_content = _method(operations.delete_bank_content)

    def __repr__(self) -> str:
        return f"AsyncClient({self.settings.base_url!r})"

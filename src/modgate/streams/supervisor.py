"""The streams one worker process holds: a thread that claims streams no one holds (up to
``streams.workers`` at once), runs each on a thread of its own, and renews their leases.

A stream whose lease cannot be renewed (it was stopped, ended, or another worker took it over
after this one stalled) is told to stop. ``stop()`` stops every run and gives their holds up at
once, so another worker takes them over without waiting for the leases (a worker that dies
instead leaves them to run out).
"""

from __future__ import annotations

import logging
import threading
import time

from modgate.pipeline.executor import worker_name
from modgate.streams.run import StreamRun, StreamTools
from modgate.streams.store import StreamStore

logger = logging.getLogger(__name__)


class StreamSupervisor:
    def __init__(self, store: StreamStore, tools: StreamTools, name: str = "streams") -> None:
        self.store = store
        self.tools = tools
        self.worker = worker_name(name)
        self.capacity = tools.settings.workers
        self._runs: dict[str, tuple[StreamRun, threading.Thread]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed = 0.0

    @property
    def held(self) -> list[str]:
        return list(self._runs)

    def start(self) -> None:
        if self.capacity <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="modgate-streams", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        settings = self.tools.settings
        while not self._stop.is_set():
            try:
                self._reap()
                if time.monotonic() - self._renewed >= settings.lease_seconds / 3:
                    self._renew()
                while len(self._runs) < self.capacity and self._claim():
                    pass
            except Exception:  # the database may be briefly unavailable: keep going
                logger.exception("streams: supervising failed")
            self._stop.wait(settings.poll_seconds)

    def _claim(self) -> bool:
        settings = self.tools.settings
        stream_id = self.store.claim(self.worker, settings.lease_seconds, self.tools.clock())
        if stream_id is None:
            return False
        run = StreamRun(stream_id, self.worker, self.tools)
        thread = threading.Thread(target=self._run, args=(run,), name=f"stream-{stream_id}")
        thread.daemon = True
        self._runs[stream_id] = (run, thread)
        thread.start()
        return True

    def _run(self, run: StreamRun) -> None:
        try:
            run.run()
        except Exception:
            # Its lease is left to run out: the next try (here or elsewhere) comes a lease
            # later, not at once, so a stream that keeps failing costs one try per lease,
            # until it was taken up more than streams.max_holds times and ends as failed.
            logger.exception(
                "stream %s failed on %s; tried again once its lease runs out",
                run.stream_id,
                self.worker,
            )
            run.stop.set()

    def _reap(self) -> None:
        for stream_id, (_, thread) in list(self._runs.items()):
            if not thread.is_alive():
                del self._runs[stream_id]

    def _renew(self) -> None:
        self._renewed = time.monotonic()
        settings = self.tools.settings
        for stream_id, (run, _) in list(self._runs.items()):
            if not self.store.extend(
                stream_id, self.worker, settings.lease_seconds, self.tools.clock()
            ):
                run.stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        for run, _ in self._runs.values():
            run.stop.set()
        for stream_id, (_, thread) in list(self._runs.items()):
            thread.join(timeout=30)
            self.store.release(stream_id, self.worker)
        self._runs.clear()

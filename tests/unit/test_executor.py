"""Embedded executor plumbing: decision notices and one wake per queued job."""

from __future__ import annotations

import threading
import time

from modgate.pipeline.executor import Decided, PollingWorkers, RunHere
from modgate.pipeline.jobs import Claim


def test_a_waiter_wakes_for_its_own_decision_and_remembers_it() -> None:
    decided = Decided(remember=2)
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(decided.wait_for("mod_a", 10.0)))
    waiter.start()
    time.sleep(0.05)
    decided.notify("mod_b")  # someone else's decision: keeps waiting
    time.sleep(0.05)
    assert waiter.is_alive()
    started = time.monotonic()
    decided.notify("mod_a")
    waiter.join(timeout=5)
    assert woke == [True] and time.monotonic() - started < 1.0
    assert decided.settled("mod_a") and decided.wait_for("mod_a", 0.0)
    decided.notify("mod_c")
    decided.notify("mod_d")
    assert not decided.settled("mod_a")  # only the last ``remember`` are kept


def test_an_untargeted_notice_sends_the_waiter_to_look_and_a_timeout_ends_the_wait() -> None:
    decided = Decided()
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(decided.wait_for("mod_a", 10.0)))
    waiter.start()
    time.sleep(0.05)
    decided.notify()
    waiter.join(timeout=5)
    assert result == [False]
    started = time.monotonic()
    assert decided.wait_for("mod_x", 0.1) is False
    assert 0.09 <= time.monotonic() - started < 2.0


def test_a_decision_is_handed_only_to_a_waiter_that_expects_it() -> None:
    decided = Decided()
    outcome = object()
    decided.notify("mod_a", outcome)  # type: ignore[arg-type]  # nobody expects it: not kept
    assert decided.take("mod_a") is None
    decided.expect("mod_b")
    decided.notify("mod_b", outcome)  # type: ignore[arg-type]
    assert decided.settled("mod_b")
    assert decided.take("mod_b") is outcome
    assert decided.take("mod_b") is None  # taken once; the expectation is over
    decided.expect("mod_c")
    decided.notify("mod_c")  # decided without an outcome (e.g. another run decided it first)
    assert decided.take("mod_c") is None
    decided.notify("mod_c", outcome)  # type: ignore[arg-type]  # after ``take``: not kept
    assert decided.take("mod_c") is None


class _CountingRunner:
    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.lock = threading.Lock()

    def run_next(self, worker: str, look_first: bool = True) -> bool:
        with self.lock:
            self.calls.append(look_first)
        return False  # nothing claimed


def test_each_queued_job_wakes_one_worker_to_claim_at_once() -> None:
    runner = _CountingRunner()
    pool = PollingWorkers(runner, count=4, poll_seconds=60.0)  # type: ignore[arg-type]
    pool.start()
    try:
        time.sleep(0.1)
        assert runner.calls == []  # idle workers sleep until a job is queued or poll time
        for _ in range(3):
            pool.wake()
        deadline = time.monotonic() + 5
        while len(runner.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        # Three jobs queued: three claims straight away (no look first), not four workers each.
        assert runner.calls == [False, False, False]
    finally:
        pool.stop()


def test_run_here_hands_out_at_most_its_slots() -> None:
    ran: list[tuple[str, str]] = []

    class Jobs:
        def run(self, claim: Claim, worker: str, known: object = None) -> None:
            ran.append((claim.job_id, worker))

    here = RunHere(Jobs(), 2, 30.0)  # type: ignore[arg-type]
    assert here.acquire() and here.acquire()
    assert not here.acquire()  # both slots busy: the job goes to the workers instead
    here.release()
    assert here.acquire()
    here.run(Claim("job_1", "mod_1", 1, 3))
    assert ran == [("job_1", here.worker)] and here.worker.startswith("request@")


def test_an_unreachable_broker_does_not_hold_up_uploads(caplog) -> None:  # type: ignore[no-untyped-def]
    """Publishing a job id to a broker that refuses the connection fails once, with a warning
    and no exception (the job row is queued; workers poll for it); for a while after that no
    publish is tried at all, so each further upload is not held up by the broker."""
    import logging

    from modgate.pipeline.executor import CeleryExecutor

    now = [0.0]
    executor = CeleryExecutor("redis://127.0.0.1:1/0", clock=lambda: now[0])  # nothing listens
    tries = []
    publish = executor.app.send_task

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        tries.append(args)
        return publish(*args, **kwargs)

    executor.app.send_task = counted  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="modgate.pipeline.executor"):
        executor.enqueue("job-1")
        executor.enqueue("job-2")
        now[0] += CeleryExecutor.BROKER_BACKOFF_SECONDS + 1
        executor.enqueue("job-3")
    assert len(tries) == 2  # job-2 came during the back-off
    warnings = [r for r in caplog.records if "could not publish" in r.getMessage()]
    assert len(warnings) == 2 and not any(r.exc_info for r in warnings)

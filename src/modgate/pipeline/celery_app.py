"""The Celery application: one task, ``modgate.run_job(job_id)``; the broker carries only ids.

``modgate worker`` builds the same services as ``modgate serve`` and runs this task in threads.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery

_RUN_JOB: Callable[[str], object] | None = None


def make_celery(broker_url: str) -> Celery:
    app = Celery("modgate", broker=broker_url)
    app.conf.update(
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        broker_connection_retry_on_startup=True,
        # An API replica publishing a job id gives up on an unreachable broker after this
        # long (workers find queued jobs by polling anyway); the default is 4 s per upload.
        broker_connection_timeout=2.0,
        worker_hijack_root_logger=False,
        # After a lost broker connection Celery lowers the prefetch count, then raises it
        # again from the thread that finishes each task. On the threads pool that
        # ``basic.qos`` shares the AMQP connection with the consumer's own thread and one of
        # them waits forever for a reply the other read: the worker takes no more jobs from
        # RabbitMQ and ignores SIGTERM. Jobs are claimed in the database, so fetching a few
        # ids too many costs nothing; the reduction is not needed.
        worker_enable_prefetch_count_reduction=False,
    )

    @app.task(name="modgate.run_job")  # type: ignore[untyped-decorator]
    def run_job(job_id: str) -> None:
        if _RUN_JOB is None:
            raise RuntimeError("the worker has no job runner")
        _RUN_JOB(job_id)

    return app


def bind_runner(run_job: Callable[[str], object]) -> None:
    """Give the task its runner (called by ``modgate worker`` before the worker starts)."""
    global _RUN_JOB
    _RUN_JOB = run_job

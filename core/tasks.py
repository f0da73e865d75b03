"""Work handed to Celery by task name, from any app.

Nothing here imports a task module or the Celery app of ``config``: the task
is named, and the app is the process's current one (``config.celery``'s,
which the Django fix-up makes the default in every thread). With eager Celery
(the embedded defaults, the tests) the task runs here, in the calling thread,
as ``Task.apply_async`` would; its module is imported on first use through
Celery's own autodiscovery when nothing imported it yet (a web process).
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import current_app
from django.conf import settings


def is_eager() -> bool:
    """Whether Celery runs tasks in the calling process (``CELERY_TASK_ALWAYS_EAGER``)."""
    return bool(current_app.conf.task_always_eager)


def registered(name: str):
    """The task registered as ``name`` (autodiscovered first if it is not yet)."""
    app = current_app
    if name not in app.tasks:
        app.autodiscover_tasks(force=True)  # what a worker does at start-up
    return app.tasks[name]


def task_publish(name: str, *, args: Sequence, **options) -> None:
    """Publish task ``name`` with ``args`` (JSON), retrying the connection as
    ``CELERY_TASK_PUBLISH_RETRY_POLICY`` says; with eager Celery, run it now.
    ``options`` are ``send_task``'s (``eta``, ``producer``). Raises what the
    broker or, eager, the task raises: the caller decides what a failure costs.
    """
    if is_eager():
        registered(name).apply(args=tuple(args))
        return
    current_app.send_task(
        name,
        args=tuple(args),
        retry=True,
        retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
        **options,
    )

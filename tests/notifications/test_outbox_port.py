"""The outbox port (``notifications.outbox``): the one Message builder, and ids
handed to Celery by task name once the caller's transaction commits, never
before and never for a rollback."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import outbox
from notifications.models import Message, MessageChannel, MessageStatus

SEND = "notifications.messages_send"
ROOT = Path(__file__).resolve().parents[2]


def _email(key: str = "test:1", **fields) -> dict:
    return {
        "template_key": "test",
        "channel": MessageChannel.EMAIL,
        "destination": "amina@example.test",
        "language": "fr",
        "subject": "Votre rendez-vous",
        "text": "Bonjour",
        "idempotency_key": key,
        **fields,
    }


@pytest.fixture
def broker_calls(monkeypatch, settings):
    """Celery not eager, publishing in the committing thread (no linger); what
    would go to the broker is recorded as (task name, args)."""
    from config.celery import app

    calls: list[tuple[str, tuple]] = []
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 0
    monkeypatch.setattr(app, "send_task", lambda name, args, **kw: calls.append((name, args)))
    # Celery's Settings is a mapping proxy: set and restore by hand.
    app.conf.task_always_eager = False
    yield calls
    app.conf.task_always_eager = True


def test_a_message_is_built_as_given_and_due_now():
    now = timezone.now()

    message = outbox.message_build(**_email(subject="x" * 300), now=now)

    assert message.pk is None
    assert (message.template_key, message.channel, message.destination) == (
        "test",
        "email",
        "amina@example.test",
    )
    assert len(message.subject) == 200
    assert message.context == {}
    assert message.essential is True
    assert message.status == MessageStatus.PENDING
    assert message.next_attempt_at == message.created_at == message.updated_at == now


def test_a_message_may_wait_for_later():
    now = timezone.now()
    later = now + timedelta(hours=9)

    message = outbox.message_build(**_email(), now=now, next_attempt_at=later, essential=False)

    assert (message.next_attempt_at, message.created_at, message.essential) == (later, now, False)


@pytest.mark.django_db(transaction=True)
def test_ids_go_to_celery_by_task_name_once_the_transaction_commits(broker_calls):
    with transaction.atomic():
        first = outbox.message_owe(**_email("test:1"))
        second = outbox.message_owe(**_email("test:2"))
        assert broker_calls == []  # not before the commit

    assert broker_calls == [(SEND, ([first],)), (SEND, ([second],))]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.PENDING}


@pytest.mark.django_db(transaction=True)
def test_messages_owed_together_are_one_insert_and_one_task(broker_calls):
    now = timezone.now()
    messages = [outbox.message_build(**_email(f"test:{n}"), now=now) for n in range(3)]

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        ids = outbox.messages_owe(messages=messages)

    statements = [q["sql"].split()[0].upper() for q in queries]
    assert statements.count("INSERT") == 1
    assert broker_calls == [(SEND, (ids,))]
    assert sorted(ids) == sorted(Message.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_nothing_is_handed_over_for_a_transaction_that_rolls_back(broker_calls):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.message_owe(**_email())
        raise RuntimeError("the event failed")

    assert broker_calls == []
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_eager_celery_the_message_is_sent_before_the_commit_returns(mailoutbox):
    with transaction.atomic():
        message_id = outbox.message_owe(**_email())
        assert mailoutbox == []

    assert Message.objects.get(pk=message_id).status == MessageStatus.SENT
    assert [m.to for m in mailoutbox] == [["amina@example.test"]]


def test_the_port_imports_nothing_above_it():
    """Lower layers (accounts, booking) import the outbox: it must not bring
    booking, config, the tasks or the rest of notifications with it."""
    allowed = ("django", "celery", "core", "notifications.models", "notifications.outbox")
    imported = set()
    for path in (ROOT / "notifications" / "outbox").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                imported.add(names[0] if node.module != "notifications" else names[1])
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names}

    assert ours, "no import found: the walk is broken"
    assert {name for name in ours if not name.startswith(allowed)} == set()


def test_an_eager_task_is_found_by_name_where_nothing_imported_the_tasks():
    """A web process never imports ``notifications.tasks``: with eager Celery
    the outbox finds the task by Celery's autodiscovery."""
    code = (
        "import sys, django; django.setup()\n"
        "from notifications.outbox import dispatch\n"
        "assert 'notifications.tasks' not in sys.modules\n"
        "task = dispatch.registered(dispatch.MESSAGES_SEND)\n"
        "print(task.name, 'notifications.tasks' in sys.modules)\n"
    )
    kept = ("PATH", "HOME", "LANG", "DATABASE_URL")
    env = {name: value for name, value in os.environ.items() if name in kept}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", REDIS_URL="", DEBUG="true")
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [SEND, "True"]

from __future__ import annotations

import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from booking import services as booking
from notifications import sms
from tests.helpers import celery_worker as w
from tests.helpers.fake_twilio import FakeTwilio


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio(settings, fake_twilio):
    """Send SMS through the real twilio SDK to the local fake."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = fake_twilio.account_sid
    settings.TWILIO_AUTH_TOKEN = fake_twilio.auth_token
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM_NUMBER = "+33700000000"
    settings.TWILIO_API_BASE_URL = fake_twilio.url
    settings.PUBLIC_BASE_URL = "https://guichet.example.org"
    sms._local.__dict__.clear()
    yield fake_twilio
    sms._local.__dict__.clear()


class Inbox:
    """What an aiosmtpd server received."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.reject_with: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_with:
            return self.reject_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                {"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": envelope.content}
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def smtp(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server


@pytest.fixture
def broker():
    """This process's Celery on the test's own Redis database, not eager."""
    w.flush_broker()
    with w.app_broker(w.broker_url()) as app:
        yield app
    w.flush_broker()


@pytest.fixture
def celery_worker(broker, fake_twilio, smtp_server, settings):
    """Starts a real Celery worker (``start()``), stopped after the test."""
    settings.PUBLIC_BASE_URL = "https://guichet.example.org"
    workers: list[w.Worker] = []

    def start() -> w.Worker:
        env = w.worker_env(fake_twilio=fake_twilio, smtp_port=smtp_server.port)
        worker = w.Worker(env=env).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def booked(applicant, slot):
    """The applicant's appointment, booked through the service: its messages are owed."""
    return booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

"""Where the soak's messages go: the fake Twilio of the tests and an aiosmtpd
server, both in the soak's own process, recording what they received."""

from __future__ import annotations

import email
import re
import threading

from aiosmtpd.controller import Controller

from bench import common
from tests.helpers.fake_twilio import FakeTwilio

__all__ = ["FakeTwilio", "SmtpInbox"]

# notifications.email sets it from the message's row: the same on a resend.
MESSAGE_ID = re.compile(r"<guichet-(\d+)@")


class SmtpInbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self) -> None:
        self.port = common.free_port()
        self.lock = threading.Lock()
        self.received: list[bytes] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.received.append(envelope.content)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpInbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def message_ids(self) -> list[int | None]:
        """The outbox row id of each received e-mail (None: not one of ours)."""
        with self.lock:
            raw = list(self.received)
        ids = []
        for data in raw:
            header = email.message_from_bytes(data).get("Message-ID", "")
            match = MESSAGE_ID.search(header)
            ids.append(int(match.group(1)) if match else None)
        return ids

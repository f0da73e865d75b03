"""A local stand-in for Twilio's REST API, strict the way Twilio is.

It serves ``POST /2010-04-01/Accounts/<SID>/Messages.json`` (and the list,
``GET`` on the same path) on 127.0.0.1, checks HTTP basic auth and the form
fields a real send needs, and answers JSON shaped like Twilio's. A test can
script answers (``fail_next``), delay them (``delay``) and read what arrived
(``sent``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
MESSAGING_SERVICE_SID = "MG" + "0" * 31 + "2"


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    sent: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    script: list[tuple[int, dict]] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail_next(self, status: int, code: int | None = None, message: str = "error") -> None:
        body = {"code": code, "message": message, "more_info": "", "status": status}
        self.script.append((status, body))

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                expected = (
                    "Basic "
                    + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                )
                if self.headers.get("Authorization") != expected:
                    self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return False
                return True

            def _path_ok(self, path: str) -> bool:
                if path != f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json":
                    self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
                    return False
                return True

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.requests.append(("POST", path))
                if not (self._authorised() and self._path_ok(path)):
                    return
                if self.headers.get("Content-Type", "").split(";")[0] != (
                    "application/x-www-form-urlencoded"
                ):
                    self._reply(400, {"code": 20001, "message": "form expected", "status": 400})
                    return
                missing = [name for name in ("To", "Body") if not form.get(name)]
                if not (form.get("From") or form.get("MessagingServiceSid")):
                    missing.append("From or MessagingServiceSid")
                if missing:
                    self._reply(
                        400, {"code": 21604, "message": f"missing {missing}", "status": 400}
                    )
                    return
                with fake.lock:
                    scripted = fake.script.pop(0) if fake.script else None
                if scripted is not None:
                    self._reply(*scripted)
                    return
                now = datetime.now(UTC)
                message = {
                    "sid": "SM" + uuid.uuid4().hex,
                    "account_sid": fake.account_sid,
                    "to": form["To"],
                    "from": form.get("From"),
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": form["Body"],
                    "status": "accepted" if form.get("MessagingServiceSid") else "queued",
                    "num_segments": "1",
                    "direction": "outbound-api",
                    "date_created": format_datetime(now),
                    "date_updated": format_datetime(now),
                    "date_sent": format_datetime(now),
                    "status_callback": form.get("StatusCallback"),
                    "uri": f"{path[:-5]}/x.json",
                }
                # Twilio has the message as soon as it read the request: a client
                # that dies before the answer arrives has still sent it.
                with fake.lock:
                    fake.sent.append(message)
                if fake.delay:
                    time.sleep(fake.delay)
                self._reply(201, message)

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                with fake.lock:
                    fake.requests.append(("GET", parsed.path))
                if not (self._authorised() and self._path_ok(parsed.path)):
                    return
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                with fake.lock:
                    found = [m for m in fake.sent if m["to"] == query.get("To", m["to"])]
                self._reply(
                    200,
                    {
                        "messages": found,
                        "page": 0,
                        "page_size": 50,
                        "first_page_uri": parsed.path,
                        "next_page_uri": None,
                        "previous_page_uri": None,
                        "uri": parsed.path,
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def posts(self) -> int:
        return sum(1 for method, _path in self.requests if method == "POST")

"""``GET /api/v1/challenge/``: a proof-of-work challenge, for the widget and API clients."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.antibot import challenge_create
from core.api import error_responses
from core.client import client_address
from core.ratelimit import hit

_HOW_TO_SOLVE = """A proof-of-work challenge (the ALTCHA protocol), asked for by the forms and
endpoints that create an account, a substitution request, an applicant's own
booking or an applicant's own entry on a waiting list (`POST /api/v1/appointments/`
and `POST /api/v1/waitlist/` by an applicant, `POST /api/v1/substitution-requests/`).

To solve it, find the integer `number`, from 0 to `maxnumber`, such that the
lowercase hexadecimal SHA-256 of the UTF-8 string `salt + str(number)` equals
`challenge` (try 0, 1, 2, ...: on average half of `maxnumber` hashes). Then send,
in the `Altcha` request header, the base64 of the JSON object
`{"algorithm": "SHA-256", "challenge": ..., "number": <number>, "salt": ...,
"signature": ...}` (the challenge's fields unchanged, and the number found).

```python
import base64, hashlib, json
c = requests.get(".../api/v1/challenge/").json()
n = next(n for n in range(c["maxnumber"] + 1)
         if hashlib.sha256(f"{c['salt']}{n}".encode()).hexdigest() == c["challenge"])
header = base64.b64encode(json.dumps({**c, "number": n}).encode()).decode()
requests.post(".../api/v1/appointments/", json={"slot": 1},
              headers={"Altcha": header, "Authorization": "Token ..."})
```

A challenge expires (its `salt` carries `expires`, a Unix time) and is good for
one request: a missing solution answers 400 `proof_of_work_required`, a wrong,
expired or already used one 400 `proof_of_work_invalid`. The libraries of the
ALTCHA project (`altcha` on PyPI and npm) solve it too. Rate-limited per client
address."""


class ChallengeSerializer(serializers.Serializer):
    algorithm = serializers.CharField(help_text="Always `SHA-256`.")
    challenge = serializers.CharField(help_text="The SHA-256 (hex) to find.")
    maxnumber = serializers.IntegerField(help_text="The largest number to try.")
    salt = serializers.CharField(help_text="Prefix of the hashed string; carries `expires`.")
    signature = serializers.CharField(help_text="The server's signature; send it back as is.")


class ChallengeView(APIView):
    """Public: no credentials looked at."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)

    @extend_schema(
        operation_id="challenge_retrieve",
        summary="A proof-of-work challenge to solve before a protected request",
        description=_HOW_TO_SOLVE,
        responses={
            200: ChallengeSerializer,
            **error_responses(429, s429="`rate_limited`: per client address"),
        },
        examples=[
            OpenApiExample(
                "A challenge",
                value={
                    "algorithm": "SHA-256",
                    "challenge": "4b9ad5d0c6f1...",
                    "maxnumber": 50000,
                    "salt": "6c1f0e2a9b3d4c5e7f80a1b2?expires=1796371200&",
                    "signature": "a3f1c2...",
                },
                response_only=True,
            )
        ],
        tags=["anti-bot"],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        hit("challenge", ip=client_address(request))
        response = Response(challenge_create())
        response["Cache-Control"] = "no-store"
        return response

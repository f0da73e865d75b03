"""The answers: no 5xx, no connection error or timeout, nothing but the
statuses (and refusal codes) each kind of request may answer."""

from __future__ import annotations

from collections import Counter


def check_http(traffic: dict) -> list[str]:
    from bench.soak.traffic import EXPECTED, EXPECTED_CODES

    problems = []
    statuses = Counter(sample[1] for sample in traffic["samples"])
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers 5xx")
    if statuses[0]:
        problems.append(f"{statuses[0]} connection errors or timeouts")
    odd = Counter(
        (kind, status, code)
        for kind, status, _latency, _start, code in traffic["samples"]
        if status not in EXPECTED[kind]
        or (status == 409 and kind in EXPECTED_CODES and code not in EXPECTED_CODES[kind])
    )
    if odd:
        problems.append(f"unexpected answers {dict(odd)}; e.g. {traffic['unexpected'][:3]}")
    return problems

"""The order rule on every allocation run of the traffic: what the soak's worker
(``bench.soak.worker``) judged and recorded in the soak's Redis database."""

from __future__ import annotations

from bench.soak.worker import ORDER_KEYS


def check_order_runs(redis_url: str) -> list[str]:
    """The worker's judgements of its runs, and that it saw every offer: the
    offers in the database (before the last round) are exactly those of the
    runs it judged or could not judge. An offer made elsewhere (a request's
    process allocating, a run outside a task) would be one no check saw."""
    import redis

    from allocation.models import Offer

    client = redis.Redis.from_url(redis_url)
    counts = {
        name: int(client.get(key) or 0) for name, key in ORDER_KEYS.items() if name != "problems"
    }
    found = [raw.decode() for raw in client.lrange(ORDER_KEYS["problems"], 0, -1)]
    made = Offer.objects.count()
    seen = counts["judged"] + counts["unjudged"]
    print(
        f"   order rule on every run: {counts['runs']} runs of the worker judged, "
        f"{counts['judged']} offers judged, {counts['unjudged']} not (their taker changed "
        f"under the run), {counts['set_aside']} entries set aside (changed under their run); "
        f"{len(found)} problems"
    )
    problems = [f"order rule during the traffic: {problem}" for problem in found[:10]]
    if counts["blind"]:
        problems.append(f"{counts['blind']} allocation runs without a snapshot: not judged")
    if seen != made:
        problems.append(f"{made} offers made, the worker's runs made {seen}: some went unjudged")
    if not counts["judged"]:
        problems.append("no allocation run was judged during the traffic")
    return problems

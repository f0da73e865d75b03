"""``/transparency/``: the public transparency page (no login)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from allocation import transparency
from allocation.rules import order_rule_text
from core import ratelimit
from core.client import client_address


@require_GET
def transparency_page(request: HttpRequest) -> HttpResponse:
    # Every read counts (the figures are cached, the page may be hammered).
    ratelimit.hit("transparency", ip=client_address(request))
    figures = transparency.figures()
    return render(
        request,
        "allocation/transparency.html",
        {
            "figures": figures,
            "order_rule": order_rule_text(),
            "cache_seconds": transparency.cache_seconds(),
        },
    )

"""The cancellation messages of a closure: the reason and the priority date, and an
SMS that fits ``SMS_MAX_SEGMENTS`` in every language, whatever the reason's length."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from booking.models import Procedure, Site
from notifications import gsm
from notifications.rendering import render

LANGUAGES = [code for code, _name in settings.LANGUAGES]
PARIS = ZoneInfo("Europe/Paris")


def _context(reason: str) -> dict:
    starts_at = datetime(2026, 12, 6, 9, 0, tzinfo=PARIS)
    return {
        "reference": "ABCDEFGH",
        "procedure": Procedure(slug="p", name="Renouvellement de titre de séjour"),
        "site": Site(slug="s", name="Sous-préfecture du Raincy", address="1 rue", city="Le Raincy"),
        "starts_at": starts_at,
        "documents": [],
        "detail_url": "https://example.org/a/",
        "cancel_url": "https://example.org/c/",
        "book_url": "https://example.org/book/p/",
        "closed_by_prefecture": True,
        "closure_reason": reason,
        "priority_until": starts_at + timedelta(days=60),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_closure_sms_fits_whatever_the_reason(language, caplog):
    reason = ("Mouvement social des agents de l’accueil " * 10)[:300]  # noqa: RUF001

    with caplog.at_level(logging.ERROR, logger="notifications.rendering"):
        text = render(
            key="appointment_cancelled", channel="sms", language=language, context=_context(reason)
        ).text

    assert gsm.segments(text) <= settings.SMS_MAX_SEGMENTS
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], text
    assert "ABCDEFGH" in text and "2027" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_closure_email_gives_the_reason_and_the_priority_date(language):
    rendered = render(
        key="appointment_cancelled",
        channel="email",
        language=language,
        context=_context("Panne du réseau informatique"),
    )

    for body in (rendered.text, rendered.html):
        assert "Panne du réseau informatique" in body
        assert "2027" in body

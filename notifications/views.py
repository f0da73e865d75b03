"""Twilio's webhooks and the applicant's new-slot alert pages.

The webhooks are CSRF-exempt (Twilio cannot send a token) but every request
must carry a valid ``X-Twilio-Signature``, computed by Twilio with the auth
token over the public URL it called and the POSTed fields; anything else gets
403 and changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from booking.models import Applicant, Procedure, Site
from booking.views import applicant_required
from core.parsing import parse_ids
from core.views import domain_errors
from notifications import services
from notifications.errors import AlertsNotOffered
from notifications.models import AlertChannels, AlertSubscription, MessageChannel

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signature_valid(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN:
        return False
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
        url, request.POST.dict(), request.headers.get("X-Twilio-Signature", "")
    )


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _signature_valid(request):
        return HttpResponseForbidden()
    services.message_delivery_update(
        provider_id=request.POST.get("MessageSid", ""),
        provider_status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _signature_valid(request):
        return HttpResponseForbidden()
    services.sms_receive(phone=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    # Twilio itself answers STOP and START to the person; we add nothing.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


# --- Alert pages ---------------------------------------------------------------------


def _applicant_or_none(request: HttpRequest) -> Applicant | None:
    # Through the account: the applicant's ``user`` is then loaded (its contacts).
    try:
        return request.user.applicant
    except Applicant.DoesNotExist:
        return None


@applicant_required
@require_http_methods(["GET", "POST"])
@domain_errors(fallback=lambda request, procedure: request.path)
def alert_subscribe(request: HttpRequest, procedure: str) -> HttpResponse:
    procedure_obj = get_object_or_404(Procedure, slug=procedure, is_active=True)
    if not services.alerts_offered(procedure=procedure_obj):
        # Booked by a mediator or an agent: the alerts page says so and where to go.
        messages.error(request, str(AlertsNotOffered.default_message))
        return redirect("notifications:alerts")
    applicant = _applicant_or_none(request)
    if applicant is None:
        return redirect("booking:identity")
    sites = Site.objects.filter(is_active=True)
    current = AlertSubscription.objects.filter(
        applicant=applicant, procedure=procedure_obj, is_active=True
    ).first()
    if request.method == "POST":
        if request.POST.get("consent") != "yes":
            messages.error(request, _("Tick the box to agree to receive alerts."))
            return redirect(request.path)
        site_ids = parse_ids(request.POST.getlist("sites"))
        services.alert_subscribe(
            applicant=applicant,
            procedure=procedure_obj,
            site_ids=list(sites.filter(pk__in=site_ids).values_list("pk", flat=True)),
            channels=request.POST.get("channels", ""),
        )
        messages.success(request, _("Your alert is recorded. Unsubscribe at any time."))
        return redirect("notifications:alerts")
    contacts = dict(services.applicant_contacts(applicant=applicant))
    return render(
        request,
        "notifications/alert_subscribe.html",
        {
            "procedure": procedure_obj,
            "sites": sites,
            "applicant": applicant,
            "contact_phone": contacts.get(MessageChannel.SMS, ""),
            "contact_email": contacts.get(MessageChannel.EMAIL, ""),
            "current": current,
            "channels": AlertChannels.choices,
        },
    )


@applicant_required
def alerts(request: HttpRequest) -> HttpResponse:
    applicant = _applicant_or_none(request)
    subscriptions = (
        AlertSubscription.objects.filter(applicant=applicant, is_active=True)
        .select_related("procedure")
        .prefetch_related("sites")
        if applicant
        else []
    )
    procedures = list(Procedure.objects.filter(is_active=True))
    return render(
        request,
        "notifications/alerts.html",
        {
            "subscriptions": [
                (
                    sub,
                    services.unsubscribe_token(sub.pk),
                    services.alerts_offered(procedure=sub.procedure),
                )
                for sub in subscriptions
            ],
            "procedures": [p for p in procedures if services.alerts_offered(procedure=p)],
            "booked_for_them": [p for p in procedures if not services.alerts_offered(procedure=p)],
        },
    )


@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Works without logging in: the signed link is the proof."""
    subscription = services.subscription_from_token(token=token)
    if subscription is None:
        return render(
            request, "notifications/alert_unsubscribe.html", {"invalid": True}, status=404
        )
    if request.method == "POST":
        services.alert_unsubscribe(subscription=subscription)
        return render(request, "notifications/alert_unsubscribe.html", {"done": True})
    return render(
        request,
        "notifications/alert_unsubscribe.html",
        {"subscription": subscription, "active": subscription.is_active},
    )

"""The PDF "record of attempts", built with ``core.pdf``: dated, the person, the
period, a summary, then week by week what happened; the verification code in
groups, and a QR code of the verification page's address."""

from __future__ import annotations

from datetime import datetime

from django.template.defaultfilters import date as date_format
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attempts import selectors
from core import pdf


def _day(value) -> str:
    return date_format(value, "j F Y")


def _when(value: datetime) -> str:
    return date_format(timezone.localtime(value), "l j F Y, H:i")


def _lines(week: selectors.Week) -> list[str]:
    lines = []
    for row in week.searches:
        place = row["site"] or _("every place")
        if row["count"] == 1:
            text = _("%(when)s: a search for “%(procedure)s” found no free time — %(place)s") % {
                "when": _when(row["at"]),
                "procedure": row["procedure"],
                "place": place,
            }
        else:
            text = _(
                "%(when)s to %(until)s: %(count)s searches for “%(procedure)s” found no free "
                "time — %(place)s"
            ) % {
                "when": _when(row["at"]),
                "until": date_format(timezone.localtime(row["until"]), "H:i"),
                "count": row["count"],
                "procedure": row["procedure"],
                "place": place,
            }
        if row.get("mediated"):
            text += " (" + _("with a mediator") + ")"
        lines.append(text)
    for row in week.alerts_subscribed:
        text = _("%(when)s: new-slot alert subscribed for “%(procedure)s”") % {
            "when": _when(row["at"]),
            "procedure": row["procedure"],
        }
        if row["sites"]:
            text += " — " + ", ".join(row["sites"])
        if row.get("until"):
            text += " (" + _("stopped on %(day)s") % {"day": _day(row["until"])} + ")"
        lines.append(text)
    for row in week.alerts_received:
        lines.append(
            _("%(when)s: new-slot alert received (%(channel)s)")
            % {"when": _when(row["at"]), "channel": row["channel"]}
        )
    for row in week.substitution:
        text = _("%(when)s: substitution request %(tracking)s") % {
            "when": _when(row["at"]),
            "tracking": row["tracking"],
        }
        for part in ("procedure", "reason"):
            if row.get(part):
                text += " — " + row[part]
        text += " — " + str(row.get("status", ""))
        if row.get("answered_at"):
            text += " (" + _("answered on %(day)s") % {"day": _day(row["answered_at"])}
            text += (": " + row["answer"] if row.get("answer") else "") + ")"
        lines.append(text)
    for row in week.waiting_list:
        text = _("%(day)s: on the waiting list for “%(procedure)s”") % {
            "day": _day(row["at"]),
            "procedure": row["procedure"],
        }
        if row.get("until"):
            text += " (" + _("until %(day)s") % {"day": _day(row["until"])} + ")"
        lines.append(text)
    return lines


def record_pdf(
    *, content: dict, code: str, verify_url: str, issued_at: datetime, language: str = "fr"
) -> bytes:
    """The PDF of an issued record (``AttemptRecord.content``), in ``language``."""
    with translation.override(language):
        dates = selectors.record_dates(content)
        summary = content["summary"]
        person = content["person"]
        doc = pdf.Document(language=language, title=_("Record of attempts"))
        doc.heading(_("Record of attempts to get an appointment"))
        doc.paragraph(_("Issued by Guichet on %(when)s.") % {"when": _when(issued_at)})
        doc.key_values(
            [
                (_("Name"), f"{person['surname'].upper()} {person['given_names']}"),
                (_("Date of birth"), _day(dates["birth_date"])),
                (
                    _("Period covered"),
                    _("From %(start)s to %(end)s")
                    % {"start": _day(dates["period_from"]), "end": _when(dates["period_to"])},
                ),
                (
                    _("Searches that found no free time"),
                    ngettext(
                        "%(count)s search, over %(weeks)s week(s)",
                        "%(count)s searches, over %(weeks)s week(s)",
                        summary["searches"],
                    )
                    % {"count": summary["searches"], "weeks": summary["weeks_with_searches"]},
                ),
                (_("New-slot alerts received"), str(summary["alerts_received"])),
                (_("Substitution requests"), str(summary["substitution_requests"])),
            ]
        )
        doc.rule()
        weeks = selectors.record_weeks(content)
        for week in weeks:
            doc.heading(
                _("Week of %(start)s to %(end)s")
                % {"start": _day(week.monday), "end": _day(week.sunday)},
                level=2,
            )
            doc.bullets(_lines(week))
        if not weeks:
            doc.paragraph(_("Nothing recorded in this period."))
        doc.rule()
        doc.heading(_("Verification code"), level=3)
        doc.code(code, size=18)
        doc.paragraph(
            _(
                "Anyone can check this record, and see what it said and when it was issued, "
                "at %(url)s or by scanning the QR code."
            )
            % {"url": verify_url}
        )
        doc.qr(verify_url, size_mm=35, alt_text=_("QR code of the verification page"))
        return doc.output()

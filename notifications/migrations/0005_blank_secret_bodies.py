"""Blank the body of confirmation messages already sent or failed: they held a
code or a link in clear (accounts.messages). Those still owed keep theirs
until the worker is done with them (it then blanks them too)."""

from django.db import migrations

SECRET_MESSAGE_KEYS = ["email_confirm", "phone_code", "staff_invite", "password_reset"]


def blank(apps, schema_editor):
    Message = apps.get_model("notifications", "Message")
    Message.objects.filter(template_key__in=SECRET_MESSAGE_KEYS).exclude(
        status__in=["pending", "sending"]
    ).exclude(text="", html="").update(text="", html="")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_notif_freed_seat_alert")]

    operations = [migrations.RunPython(blank, migrations.RunPython.noop)]

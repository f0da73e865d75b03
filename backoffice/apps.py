from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The agents' and supervisors' pages. At the top of the apps with
    notifications, mediation, privacy and demo: it reads and acts on the lower
    apps, and none of them imports it. No models of its own."""

    name = "backoffice"

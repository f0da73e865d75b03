from django.apps import AppConfig


class DemoConfig(AppConfig):
    # No models, no admin, no page: the name is seen by developers only, so it
    # is not a string to translate.
    name = "demo"
    verbose_name = "Demo"

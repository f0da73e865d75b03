from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts import language as accounts_language
from accounts import urls as accounts_urls
from core import views as core_views
from core.api import api_not_found
from privacy import urls as privacy_urls
from substitution import urls as substitution_urls

urlpatterns = [
    # First: the API takes the storms, and the empty-prefix includes below would
    # have every API request try their patterns before its own.
    path("api/v1/", include("config.api_urls")),
    re_path(r"^api/", api_not_found),  # another version or a typo: still JSON
    path("", core_views.home, name="home"),
    path("accessibilite/", core_views.accessibility, name="accessibility"),
    path("plan-du-site/", core_views.site_map, name="site_map"),
    # Django's set_language, which also remembers the choice on the account.
    path("i18n/setlang/", accounts_language.set_language, name="set_language"),
    # "My data" (privacy) keeps the account's URLs and names (accounts:data_export).
    path("accounts/", include((accounts_urls.urlpatterns + privacy_urls.urlpatterns, "accounts"))),
    path("", include("booking.urls")),
    path("mediation/", include("mediation.urls")),
    path("notifications/", include("notifications.urls")),
    path("substitution/", include(substitution_urls.public_urls)),
    path("agent/substitution/", include(substitution_urls.agent_urls)),
    path("", include("backoffice.urls")),  # /staff/, /agent/, /audit/
    path("", include("attempts.urls")),  # /attempts/, /verify/<code>/
    path("", include("allocation.urls")),  # /waitlist/, /transparency/
    path("admin/", admin.site.urls),
]

handler500 = "core.views.server_error"

if settings.DEBUG:  # pragma: no cover - static files are served by the web server in production
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

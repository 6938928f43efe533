"""URL map: pages per app, the JSON API under /api/, language switching."""

from django.contrib import admin
from django.urls import include, path

from zhongfu.accounts import views as account_views
from zhongfu.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("accounts/", include("zhongfu.accounts.urls")),
    path("registry/", include("zhongfu.registry.urls")),
    path("regions/", include("zhongfu.regions.urls")),
    path("audit/", include("zhongfu.audit.urls")),
    path("policies/", include("zhongfu.policies.urls")),
    path("screening/", include("zhongfu.screening.urls")),
    path("casework/", include("zhongfu.casework.urls")),
    path("code/", include("zhongfu.disclosure.urls")),
    path("workdays/", include("zhongfu.workdays.urls")),
    path("visits/", include("zhongfu.visits.urls")),
    path("payments/", include("zhongfu.payments.urls")),
    path("notifications/", include("zhongfu.notifications.urls")),
    path("enrolment/", include("zhongfu.enrolment.urls")),
    path("feeds/", include("zhongfu.feeds.urls")),
    path("monitoring/", include("zhongfu.monitoring.urls")),
    path("funds/", include("zhongfu.funds.urls")),
    path("admin/", admin.site.urls),
]

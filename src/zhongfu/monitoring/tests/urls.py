"""The project's URLs with this app's page and API routes, for this app's tests until the lead registers
them in zhongfu/urls.py and zhongfu/api.py (then this only repeats what is there)."""

from django.urls import include, path
from ninja import NinjaAPI

from zhongfu.accounts.api import api_auth
from zhongfu.api import api
from zhongfu.monitoring.api import router
from zhongfu.urls import urlpatterns as project_urlpatterns

extra = []
if getattr(router, "api", None) is None:  # not yet in the project's API, whose URLs are already built
    monitoring_api = NinjaAPI(urls_namespace="monitoring_test_api", auth=api_auth, docs_url=None)
    for exception, handler in api._exception_handlers.items():  # the project's error bodies and statuses
        monitoring_api.add_exception_handler(exception, handler)
    monitoring_api.add_router("/", router)
    extra.append(path("api/", monitoring_api.urls))
if not any(getattr(p, "namespace", None) == "monitoring" for p in project_urlpatterns):
    extra.append(path("monitoring/", include("zhongfu.monitoring.urls")))

urlpatterns = [*extra, *project_urlpatterns]

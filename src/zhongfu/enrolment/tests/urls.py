"""The project's URLs plus this app's pages and API, for the tests while the shared urls.py and api.py do not
list them yet. Once they do, this is the project's URLs unchanged.

Until then the router is served by a second API in front of the project's one, with the same authentication
and the same error handlers, so the answers are those the registered router will give."""

from django.urls import include, path

from zhongfu.accounts.api import api_auth
from zhongfu.api import ZhongfuAPI, api
from zhongfu.enrolment.api import router
from zhongfu.urls import urlpatterns as project

urlpatterns = list(project)
if not any(r is router for _prefix, r in api._routers):
    _api = ZhongfuAPI(title="enrolment (tests)", version="tests", urls_namespace="enrolment_tests_api", auth=api_auth)
    _api._exception_handlers = api._exception_handlers
    _api.add_router("/", router)
    urlpatterns.insert(0, path("api/", _api.urls))
if not any(str(p.pattern) == "enrolment/" for p in project):
    urlpatterns.append(path("enrolment/", include("zhongfu.enrolment.urls")))

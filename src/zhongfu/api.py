"""The JSON API: one NinjaAPI, each app adds its router.

Authentication is a bearer token (created on the profile page) or the browser session. Every error is
JSON `{"detail": message, "field": field}`, the message in the request's language (Accept-Language,
zh-Hans by default): NotFound and Http404 → 404 (out of scope looks exactly like missing),
PermissionDenied → 403, any other DomainError and malformed input → 422, no or a bad token → 401.
The OpenAPI document is at /api/openapi.json; /api/docs serves Swagger UI from local files (no CDN).
"""

import json
from pathlib import Path

import ninja
from django.http import Http404, HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import re_path, reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.static import serve
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase

from zhongfu.accounts.api import api_auth
from zhongfu.casework.api import router as casework_router
from zhongfu.common.errors import DomainError, NotFound, PermissionDenied
from zhongfu.disclosure.api import router as disclosure_router
from zhongfu.enrolment.api import router as enrolment_router
from zhongfu.feeds.api import router as feeds_router
from zhongfu.funds.api import router as funds_router
from zhongfu.monitoring.api import router as monitoring_router
from zhongfu.notifications.api import router as notifications_router
from zhongfu.payments.api import router as payments_router
from zhongfu.policies.api import router as policies_router
from zhongfu.registry.api import router as registry_router
from zhongfu.screening.api import router as screening_router
from zhongfu.visits.api import router as visits_router
from zhongfu.workdays.api import router as workdays_router

# --- Swagger UI from the files django-ninja ships, never from a CDN ------------------------------

_NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
_DOCS_PAGE = Template(
    """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<link rel="stylesheet" href="{{ assets }}swagger-ui.css">
<link rel="icon" href="{{ assets }}favicon.png" type="image/png">
</head>
<body>
<script type="application/json" id="swagger-settings">{{ settings|safe }}</script>
<div id="swagger-ui"></div>
<script src="{{ assets }}swagger-ui-bundle.js"></script>
<script src="{{ assets }}swagger-ui-init.js"></script>
</body>
</html>"""
)


class LocalSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        favicon = "favicon.png"
        assets = reverse(f"{api.urls_namespace}:docs-asset", kwargs={"name": favicon}).removesuffix(favicon)
        context = Context(
            {
                "title": api.title,
                "lang": get_language(),
                "assets": assets,
                # "</" cannot end the script element early.
                "settings": json.dumps(settings).replace("</", "<\\/"),
            }
        )
        return HttpResponse(_DOCS_PAGE.render(context))


def _docs_asset(request, name: str):
    return serve(request, name, document_root=str(_NINJA_STATIC))


class ZhongfuAPI(NinjaAPI):
    def _get_urls(self):
        urls = super()._get_urls()
        if self.docs_url:
            asset = re_path(
                r"^docs/assets/(?P<name>swagger-ui(?:-bundle|-init)?\.(?:js|css)|favicon\.png)$",
                _docs_asset,
                name="docs-asset",
            )
            urls.insert(0, asset)
        return urls


api = ZhongfuAPI(
    title="Zhongfu API",
    version="1",
    description="众扶 registry API. Send `Authorization: Bearer <token>` (create a token on your profile page).",
    urls_namespace="api",
    auth=api_auth,
    docs=LocalSwagger(),
)


# --- errors -------------------------------------------------------------------------------------


def error_body(detail, field: str | None = None, **extra) -> dict:
    return {"detail": str(detail), "field": field, **extra}


@api.exception_handler(NotFound)
def _not_found(request, exc: NotFound):
    return api.create_response(request, error_body(exc, exc.field), status=404)


@api.exception_handler(Http404)
def _http404(request, exc: Http404):
    return api.create_response(request, error_body(NotFound.default_message), status=404)


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc: PermissionDenied):
    return api.create_response(request, error_body(exc, exc.field), status=403)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, error_body(exc, exc.field), status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc: AuthenticationError):
    response = api.create_response(
        request, error_body(_("Authentication required: send a valid API token.")), status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # django-ninja's only 400 is a request body it cannot parse.
    detail = _("Enter a valid JSON.") if exc.status_code == 400 else exc
    return api.create_response(request, error_body(detail), status=exc.status_code)


# Validation messages reuse Django's own wording, so they come translated in every language Django has.
_VALID_VALUE = _("Enter a valid value.")
_MESSAGES = {
    "missing": lambda ctx, value: _("This field is required."),
    "string_too_long": lambda ctx, value: (
        ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            ctx["max_length"],
        )
        % {"limit_value": ctx["max_length"], "show_value": len(value)}
    ),
    "string_too_short": lambda ctx, value: (
        ngettext(
            "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
            ctx["min_length"],
        )
        % {"limit_value": ctx["min_length"], "show_value": len(value)}
    ),
    "greater_than_equal": lambda ctx, value: (
        _("Ensure this value is greater than or equal to %(limit_value)s.") % {"limit_value": ctx["ge"]}
    ),
    "less_than_equal": lambda ctx, value: (
        _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": ctx["le"]}
    ),
    "int_parsing": lambda ctx, value: _("Enter a whole number."),
    "int_type": lambda ctx, value: _("Enter a whole number."),
    "int_from_float": lambda ctx, value: _("Enter a whole number."),
    "date_parsing": lambda ctx, value: _("Enter a valid date."),
    "date_from_datetime_parsing": lambda ctx, value: _("Enter a valid date."),
    "date_type": lambda ctx, value: _("Enter a valid date."),
    "json_invalid": lambda ctx, value: _("Enter a valid JSON."),
    "extra_forbidden": lambda ctx, value: _("Unknown field."),
    "enum": lambda ctx, value: (
        _("Select a valid choice. %(value)s is not one of the available choices.") % {"value": value}
    ),
    "literal_error": lambda ctx, value: (
        _("Select a valid choice. %(value)s is not one of the available choices.") % {"value": value}
    ),
}
# Where a value came from; for a JSON body the next part is the handler's parameter name, not a field.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_name(loc) -> str | None:
    """("body", "payload", "members", 0, "id_number") → "members[0].id_number", as services name fields."""
    parts = list(loc or ())
    if parts and parts[0] in _SOURCES:
        if parts.pop(0) == "body" and parts:
            parts.pop(0)
    name = ""
    for part in parts:
        if part == "[key]":  # pydantic's marker for a bad key of a mapping: the key itself names it
            continue
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or None


def _message(error: dict) -> str:
    make = _MESSAGES.get(error.get("type", ""))
    try:
        return str(make(error.get("ctx") or {}, error.get("input")) if make else _VALID_VALUE)
    except (KeyError, TypeError, ValueError):
        return str(_VALID_VALUE)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [{"field": field_name(e.get("loc")), "detail": _message(e)} for e in exc.errors]
    first = errors[0] if errors else {"field": None, "detail": str(_VALID_VALUE)}
    return api.create_response(request, error_body(first["detail"], first["field"], errors=errors), status=422)


# --- routers ------------------------------------------------------------------------------------

api.add_router("/", registry_router)
api.add_router("/", policies_router)
api.add_router("/", screening_router)
api.add_router("/", casework_router)
api.add_router("/", disclosure_router)
api.add_router("/", workdays_router)
api.add_router("/", visits_router)
api.add_router("/", payments_router)
api.add_router("/", notifications_router)
api.add_router("/", enrolment_router)
api.add_router("/", feeds_router)
api.add_router("/", monitoring_router)
api.add_router("/", funds_router)

"""Language selection: Chinese unless the user chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, so an English browser would get
English pages; a government office expects Chinese by default, and English only when asked for
(the language switch sets a cookie). API clients may still ask with Accept-Language.
"""

from django.conf import settings
from django.utils import translation


class DefaultLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
            if request.path.startswith("/api/") and "HTTP_ACCEPT_LANGUAGE" in request.META:
                language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response

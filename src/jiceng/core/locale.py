"""Chinese first: the interface is in zh-Hans unless the person chose another language.

Django's LocaleMiddleware would otherwise follow the browser's Accept-Language, and many office
browsers (and headless ones) send English. The choice made with the language switch is kept in
the language cookie and wins.
"""

from django.conf import settings


class DefaultLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)

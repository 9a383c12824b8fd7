from django.core.exceptions import PermissionDenied

from . import denials
from .context import ip_from_request, reset_request_context, set_request_context


class RequestContextMiddleware:
    """Makes the client IP and channel (page/api) available to services for audit records, and
    audits a refused request (403, or 404 for a record outside the caller's scope) as a security
    event (``core.denials``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        tokens = set_request_context(ip=ip_from_request(request), channel=channel)
        try:
            response = self.get_response(request)
            denials.refusal_record(request=request, response=response)
            return response
        finally:
            reset_request_context(tokens)


class ApplicationErrorMiddleware:
    """A page view that lets an ApplicationError escape still answers with its status and a
    readable page (404, 403, 429 …) instead of a 500. The API has its own handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import Http404
        from django.shortcuts import render

        from .errors import ApplicationError, NotFoundError

        if isinstance(exception, PermissionDenied | Http404):  # the reason, should the refusal be recorded
            denials.denial_reason_note(request, str(exception))
            return None
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        denials.denial_reason_note(request, exception.message)
        if isinstance(exception, NotFoundError):
            raise Http404(exception.message)
        template = "403.html" if exception.status == 403 else "error.html"
        return render(request, template, {"message": exception.message, "exception": exception.message},
                      status=exception.status)

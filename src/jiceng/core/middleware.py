from .context import ip_from_request, reset_request_context, set_request_context


class RequestContextMiddleware:
    """Makes the client IP and channel (page/api) available to services for audit records."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        tokens = set_request_context(ip=ip_from_request(request), channel=channel)
        try:
            return self.get_response(request)
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

        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFoundError):
            raise Http404(exception.message)
        template = "403.html" if exception.status == 403 else "error.html"
        return render(request, template, {"message": exception.message, "exception": exception.message},
                      status=exception.status)

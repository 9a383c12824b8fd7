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

"""One application error type, mapped to HTTP in one place (API handler and page helpers)."""

from __future__ import annotations


class ApplicationError(Exception):
    """Bad input or a rule broken. ``field`` names the offending input where there is one."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, errors: dict | list | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.errors = errors

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class PermissionDeniedError(ApplicationError):
    status = 403
    code = "forbidden"


class NotFoundError(ApplicationError):
    status = 404
    code = "not_found"


class ConflictError(ApplicationError):
    status = 409
    code = "conflict"


class RateLimitedError(ApplicationError):
    status = 429
    code = "rate_limited"


def validation_error_to_app_error(exc) -> ApplicationError:
    """Turn a django ValidationError into an ApplicationError keeping field-level messages."""
    if hasattr(exc, "message_dict"):
        errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        field, msgs = next(iter(errors.items()))
        return ApplicationError(f"{field}: {msgs[0]}", field=field, errors=errors)
    messages = [str(m) for m in exc.messages]
    return ApplicationError("; ".join(messages), errors={"__all__": messages})

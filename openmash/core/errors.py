"""Errors raised by services and selectors, independent of HTTP.

Pages turn them into messages next to the field (GOV.UK error summary); the API turns them into
`application/problem+json`. A service never returns half-done work: it raises before writing, or the
transaction rolls back.
"""


class ServiceError(Exception):
    status = 400
    title = "The request could not be completed"

    def __init__(self, message: str = "", *, errors: dict[str, list[str]] | None = None):
        super().__init__(message or self.title)
        self.message = message or self.title
        self.errors = errors or {}


class InvalidInput(ServiceError):
    """One or more fields are wrong; `errors` maps field name → messages."""

    status = 422
    title = "There is a problem with the information given"

    @classmethod
    def single(cls, field: str, message: str) -> "InvalidInput":
        return cls(message, errors={field: [message]})


class Conflict(ServiceError):
    """The request is well formed but the record's state does not allow it (e.g. already decided)."""

    status = 409
    title = "The record is not in a state that allows this"


class NotFound(ServiceError):
    """Not there, or not visible to this user: the two are deliberately indistinguishable."""

    status = 404
    title = "Not found"


class Forbidden(ServiceError):
    """The user can see the record but their role may not do this to it."""

    status = 403
    title = "You do not have permission to do this"


class Collector:
    """Gathers field errors so a service can report all of them at once, not just the first."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str):
        self.errors.setdefault(field, []).append(message)

    def __bool__(self):
        return bool(self.errors)

    def raise_if_any(self):
        if self.errors:
            first = next(iter(self.errors.values()))[0]
            raise InvalidInput(first, errors=self.errors)

"""The current request's id and client address, so audit events can be tied to their request."""

import contextvars

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("openmash_request_id", default=None)
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("openmash_client_ip", default=None)

"""Errors the engine raises by meaning; each vendor's dialect decides how they look on the wire."""

from __future__ import annotations

from typing import Any

# kind -> default HTTP status. Dialects may map a kind to another status or envelope.
KINDS: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation": 422,
    "too_early": 425,
    "rate_limited": 429,
    "internal": 500,
    "unavailable": 503,
}


class ApiError(Exception):
    """A request the mock refuses; ``kind`` is vendor-neutral (see KINDS)."""

    def __init__(
        self,
        kind: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        if kind not in KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        self.kind = kind
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}
        self._status = status  # an exact status where the kind's default does not fit

    @property
    def status(self) -> int:
        return self._status or KINDS[self.kind]


def not_found(what: str, ident: str) -> ApiError:
    return ApiError("not_found", f"{what} {ident!r} was not found", {"id": ident})

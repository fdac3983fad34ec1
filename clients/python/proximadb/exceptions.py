"""Typed exceptions raised by the ProximaDB clients.

Every error the server reports becomes a subclass of :class:`ProximaDBError`
carrying the server's snake_case error ``code`` (REST body ``{"error": ...}``,
gRPC trailing metadata ``x-proximadb-error``), its ``message`` and the
transport ``status`` (an HTTP status code over REST, a ``grpc.StatusCode``
name such as ``"NOT_FOUND"`` over gRPC). The same server error raises the same
exception class over both transports.
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Type, Union

__all__ = [
    "ProximaDBError",
    "NotFound",
    "CollectionNotFound",
    "PointNotFound",
    "AlreadyExists",
    "CollectionAlreadyExists",
    "InvalidArgument",
    "DimensionMismatch",
    "PayloadTooLarge",
    "ResourceExhausted",
    "FailedPrecondition",
    "SegmentNotFound",
    "Unauthorized",
    "PermissionDenied",
    "ServerError",
    "Unavailable",
    "Timeout",
    "error_for",
]


class ProximaDBError(Exception):
    """Base class of every error raised by the client.

    Attributes:
        code: the server's error code (``"dimension_mismatch"``,
            ``"not_found"``, ...) or a client-side code (``"timeout"``,
            ``"unavailable"``) when the server never answered.
        message: the server's human-readable message.
        status: the HTTP status (``int``) or gRPC status name (``str``), or
            ``None`` for client-side failures.
    """

    default_code = "unknown"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        status: Union[int, str, None] = None,
    ) -> None:
        self.code: str = code or self.default_code
        self.message: str = message
        self.status: Union[int, str, None] = status
        super().__init__(message)

    def __str__(self) -> str:
        where = f" [{self.status}]" if self.status is not None else ""
        return f"{self.code}{where}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, "
            f"message={self.message!r}, status={self.status!r})"
        )


class NotFound(ProximaDBError):
    """A collection or point does not exist (HTTP 404 / ``NOT_FOUND``)."""

    default_code = "not_found"


class CollectionNotFound(NotFound):
    """The named collection does not exist."""


class PointNotFound(NotFound):
    """The point id does not exist in the collection."""


class SegmentNotFound(NotFound):
    """The collection has no segment with that id (``move_segment``)."""


class AlreadyExists(ProximaDBError):
    """The object already exists (HTTP 409 / ``ALREADY_EXISTS``)."""

    default_code = "already_exists"


class CollectionAlreadyExists(AlreadyExists):
    """A collection with this name already exists."""


class InvalidArgument(ProximaDBError, ValueError):
    """The request was malformed or out of range (HTTP 400 / ``INVALID_ARGUMENT``).

    Also raised by the client itself, before sending anything, for inputs it
    can reject locally (a ragged batch, a vector that is not 1-D, ...).
    """

    default_code = "invalid_argument"


class DimensionMismatch(InvalidArgument):
    """A vector's length differs from the collection's dimension."""

    default_code = "dimension_mismatch"


class PayloadTooLarge(ProximaDBError):
    """The request body is over the server's size limit (HTTP 413)."""

    default_code = "payload_too_large"


class ResourceExhausted(ProximaDBError):
    """A server limit was hit (HTTP 429 / ``RESOURCE_EXHAUSTED``)."""

    default_code = "resource_exhausted"


class FailedPrecondition(ProximaDBError):
    """The object's state forbids the call (``failed_precondition``)."""

    default_code = "failed_precondition"


class OutOfRange(ProximaDBError):
    """A position no longer retained, e.g. a change-feed ``from_seq`` older
    than the oldest retained change (HTTP 410 / ``OUT_OF_RANGE``)."""

    default_code = "out_of_range"


class Unauthorized(ProximaDBError):
    """Missing or unknown API key (HTTP 401 / ``UNAUTHENTICATED``)."""

    default_code = "unauthorized"


class PermissionDenied(ProximaDBError):
    """The API key may not perform this call (HTTP 403 / ``PERMISSION_DENIED``)."""

    default_code = "permission_denied"


class ServerError(ProximaDBError):
    """A server-side failure (HTTP 5xx other than 503 / ``INTERNAL``)."""

    default_code = "internal"


class Unavailable(ProximaDBError, ConnectionError):
    """The server is unreachable, not ready or shutting down (HTTP 503 / ``UNAVAILABLE``).

    The client retries these with exponential back-off before raising.
    """

    default_code = "unavailable"


class Timeout(ProximaDBError, TimeoutError):
    """The call did not complete within the client's timeout."""

    default_code = "timeout"


_BY_CODE: Dict[str, Type[ProximaDBError]] = {
    "invalid_argument": InvalidArgument,
    "dimension_mismatch": DimensionMismatch,
    "not_found": NotFound,
    "already_exists": CollectionAlreadyExists,
    "failed_precondition": FailedPrecondition,
    "out_of_range": OutOfRange,
    "payload_too_large": PayloadTooLarge,
    "resource_exhausted": ResourceExhausted,
    "unavailable": Unavailable,
    "unauthorized": Unauthorized,
    "unauthenticated": Unauthorized,
    "permission_denied": PermissionDenied,
    "forbidden": PermissionDenied,
    "io_error": ServerError,
    "corruption": ServerError,
    "internal": ServerError,
    "timeout": Timeout,
    "deadline_exceeded": Timeout,
}

_BY_HTTP: Dict[int, Type[ProximaDBError]] = {
    400: InvalidArgument,
    401: Unauthorized,
    403: PermissionDenied,
    404: NotFound,
    405: InvalidArgument,
    408: Timeout,
    409: AlreadyExists,
    410: OutOfRange,
    413: PayloadTooLarge,
    429: ResourceExhausted,
    503: Unavailable,
    504: Timeout,
}

_BY_GRPC: Dict[str, Type[ProximaDBError]] = {
    "INVALID_ARGUMENT": InvalidArgument,
    "OUT_OF_RANGE": OutOfRange,
    "NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "FAILED_PRECONDITION": FailedPrecondition,
    "RESOURCE_EXHAUSTED": ResourceExhausted,
    "UNAUTHENTICATED": Unauthorized,
    "PERMISSION_DENIED": PermissionDenied,
    "UNAVAILABLE": Unavailable,
    "DEADLINE_EXCEEDED": Timeout,
    "UNIMPLEMENTED": ServerError,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
    "DATA_LOSS": ServerError,
}


def error_for(
    code: Optional[str],
    message: str,
    status: Union[int, str, None],
    *,
    point_op: bool = False,
    collection_op: bool = True,
) -> ProximaDBError:
    """Builds the exception for a server error.

    Args:
        code: the server's error code, when it sent one.
        message: the server's message.
        status: HTTP status (int) or gRPC status name (str).
        point_op: the call addressed one point (get, update_metadata), so a
            ``not_found`` may be about the point rather than the collection.
        collection_op: the call addressed a collection; otherwise (admin
            calls) a ``not_found`` stays a plain :class:`NotFound`.

    Returns:
        An instance of the most specific :class:`ProximaDBError` subclass.
    """
    cls: Optional[Type[ProximaDBError]] = _BY_CODE.get(code or "")
    if cls is None:
        if isinstance(status, int):
            cls = _BY_HTTP.get(status) or (ServerError if status >= 500 else ProximaDBError)
        elif isinstance(status, str):
            cls = _BY_GRPC.get(status, ProximaDBError)
        else:
            cls = ProximaDBError
    if cls is NotFound and collection_op:
        # "point 'x' not found", or prefixed by where: "queries[3]: point ..."
        # (batch search), "positive[0]: point ..." (recommend)
        about_point = point_op and re.match(r"\s*((queries|positive|negative)\[\d+\]: )?point\b",
                                            message, re.IGNORECASE) is not None
        about_segment = " has no segment " in message
        cls = (PointNotFound if about_point
               else SegmentNotFound if about_segment else CollectionNotFound)
    if cls is AlreadyExists:
        cls = CollectionAlreadyExists
    if code is None:
        code = cls.default_code
    return cls(message, code=code, status=status)

/**
 * Typed errors raised by the ProximaDB client.
 *
 * Every error the server reports becomes a subclass of {@link ProximaDBError}
 * carrying the server's snake_case error `code` (REST body `{"error": ...}`,
 * gRPC trailing metadata `x-proximadb-error`), its `message`, and the
 * transport `status`: an HTTP status code (number) over REST, a gRPC status
 * name such as `"NOT_FOUND"` (string) over gRPC, or `null` for failures on
 * the client's side. The same server error raises the same class over both
 * transports.
 */

export type ErrorStatus = number | string | null;

export interface ErrorInit {
  code?: string;
  status?: ErrorStatus;
  /** Seconds the server asked the client to wait (REST `Retry-After`). */
  retryAfter?: number | null;
  cause?: unknown;
}

/** Base class of every error raised by the client. */
export class ProximaDBError extends Error {
  static readonly defaultCode: string = "unknown";
  /** The server's error code (`"dimension_mismatch"`, `"not_found"`, ...) or a client-side one (`"timeout"`, `"unavailable"`). */
  readonly code: string;
  /** HTTP status (REST), gRPC status name (gRPC), or null for client-side failures. */
  readonly status: ErrorStatus;
  /** REST `Retry-After` in seconds, when the server sent one. */
  readonly retryAfter: number | null;

  constructor(message = "", init: ErrorInit = {}) {
    super(message, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = new.target.name;
    this.code = init.code ?? (new.target as typeof ProximaDBError).defaultCode;
    this.status = init.status ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }

  override toString(): string {
    const where = this.status !== null ? ` [${this.status}]` : "";
    return `${this.name}: ${this.code}${where}: ${this.message}`;
  }
}

/** A collection or point does not exist (HTTP 404 / `NOT_FOUND`). */
export class NotFound extends ProximaDBError {
  static override readonly defaultCode: string = "not_found";
}
/** The named collection does not exist. */
export class CollectionNotFound extends NotFound {}
/** The point id does not exist in the collection. */
export class PointNotFound extends NotFound {}
/** The collection has no segment with that id. */
export class SegmentNotFound extends NotFound {}

/** The object already exists (HTTP 409 / `ALREADY_EXISTS`). */
export class AlreadyExists extends ProximaDBError {
  static override readonly defaultCode: string = "already_exists";
}
/** A collection with this name already exists. */
export class CollectionAlreadyExists extends AlreadyExists {}

/**
 * The request was malformed or out of range (HTTP 400 / `INVALID_ARGUMENT`).
 * Also raised by the client itself, before sending anything, for inputs it
 * can reject locally (a non-finite number, an empty id, a ragged batch...).
 */
export class InvalidArgument extends ProximaDBError {
  static override readonly defaultCode: string = "invalid_argument";
}
/** A vector's length differs from the collection's dimension. */
export class DimensionMismatch extends InvalidArgument {
  static override readonly defaultCode: string = "dimension_mismatch";
}
/** The request body is over the server's size limit (HTTP 413). */
export class PayloadTooLarge extends ProximaDBError {
  static override readonly defaultCode: string = "payload_too_large";
}
/** A server limit was hit (HTTP 429 / `RESOURCE_EXHAUSTED`). */
export class ResourceExhausted extends ProximaDBError {
  static override readonly defaultCode: string = "resource_exhausted";
}
/** The object's state forbids the call (`failed_precondition`). */
export class FailedPrecondition extends ProximaDBError {
  static override readonly defaultCode: string = "failed_precondition";
}
/** A position no longer retained, e.g. a change-feed sequence (HTTP 410 / `OUT_OF_RANGE`). */
export class OutOfRange extends ProximaDBError {
  static override readonly defaultCode: string = "out_of_range";
}
/** Missing or unknown API key (HTTP 401 / `UNAUTHENTICATED`). */
export class Unauthorized extends ProximaDBError {
  static override readonly defaultCode: string = "unauthorized";
}
/** The API key may not perform this call (HTTP 403 / `PERMISSION_DENIED`). */
export class PermissionDenied extends ProximaDBError {
  static override readonly defaultCode: string = "permission_denied";
}
/** A server-side failure (HTTP 5xx other than 503 / `INTERNAL`). */
export class ServerError extends ProximaDBError {
  static override readonly defaultCode: string = "internal";
}
/**
 * The server is unreachable, not ready, shutting down or over its in-flight
 * limit (HTTP 503 / `UNAVAILABLE`). The client retries these with
 * exponential back-off before raising.
 */
export class Unavailable extends ProximaDBError {
  static override readonly defaultCode: string = "unavailable";
}
/** The call did not complete within the client's timeout. */
export class Timeout extends ProximaDBError {
  static override readonly defaultCode: string = "timeout";
}

type ErrorClass = new (message?: string, init?: ErrorInit) => ProximaDBError;

const BY_CODE: Record<string, ErrorClass> = {
  invalid_argument: InvalidArgument,
  dimension_mismatch: DimensionMismatch,
  not_found: NotFound,
  already_exists: CollectionAlreadyExists,
  failed_precondition: FailedPrecondition,
  out_of_range: OutOfRange,
  payload_too_large: PayloadTooLarge,
  resource_exhausted: ResourceExhausted,
  unavailable: Unavailable,
  unauthorized: Unauthorized,
  unauthenticated: Unauthorized,
  permission_denied: PermissionDenied,
  forbidden: PermissionDenied,
  io_error: ServerError,
  corruption: ServerError,
  internal: ServerError,
  timeout: Timeout,
  deadline_exceeded: Timeout,
  method_not_allowed: InvalidArgument,
};

const BY_HTTP: Record<number, ErrorClass> = {
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
};

const BY_GRPC: Record<string, ErrorClass> = {
  INVALID_ARGUMENT: InvalidArgument,
  OUT_OF_RANGE: OutOfRange,
  NOT_FOUND: NotFound,
  ALREADY_EXISTS: AlreadyExists,
  FAILED_PRECONDITION: FailedPrecondition,
  RESOURCE_EXHAUSTED: ResourceExhausted,
  UNAUTHENTICATED: Unauthorized,
  PERMISSION_DENIED: PermissionDenied,
  UNAVAILABLE: Unavailable,
  DEADLINE_EXCEEDED: Timeout,
  UNIMPLEMENTED: ServerError,
  INTERNAL: ServerError,
  UNKNOWN: ServerError,
  DATA_LOSS: ServerError,
};

const hasOwn = (o: object, k: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, k);

export interface ErrorForOptions {
  /** The call addressed one point (get, updateMetadata, search by id...): a not_found may be about the point. */
  pointOp?: boolean;
  /** The call addressed a collection; otherwise (admin calls) a not_found stays a plain NotFound. */
  collectionOp?: boolean;
  retryAfter?: number | null;
}

/**
 * Builds the error for a server answer: the most specific class for the
 * server's `code` (when it sent one), else for the transport status.
 */
export function errorFor(
  code: string | null | undefined,
  message: string,
  status: ErrorStatus,
  opts: ErrorForOptions = {},
): ProximaDBError {
  const { pointOp = false, collectionOp = true } = opts;
  let cls: ErrorClass | undefined = code && hasOwn(BY_CODE, code) ? BY_CODE[code] : undefined;
  if (cls === undefined) {
    if (typeof status === "number") {
      cls = hasOwn(BY_HTTP, status) ? BY_HTTP[status] : status >= 500 ? ServerError : ProximaDBError;
    } else if (typeof status === "string") {
      cls = hasOwn(BY_GRPC, status) ? BY_GRPC[status] : ProximaDBError;
    } else {
      cls = ProximaDBError;
    }
  }
  if (cls === NotFound && collectionOp) {
    // "point 'x' not found", or prefixed by where: "queries[3]: point ..."
    const aboutPoint = pointOp && /^\s*((queries|positive|negative)\[\d+\]: )?point\b/i.test(message);
    const aboutSegment = message.includes(" has no segment ");
    cls = aboutPoint ? PointNotFound : aboutSegment ? SegmentNotFound : CollectionNotFound;
  }
  if (cls === AlreadyExists) cls = CollectionAlreadyExists;
  const init: ErrorInit = { status, retryAfter: opts.retryAfter ?? null };
  if (code) init.code = code;
  return new cls(message, init);
}

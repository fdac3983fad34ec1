"""ProximaDB Python client.

    from proximadb import ProximaDBClient

    client = ProximaDBClient("http://localhost:8080")    # REST
    client = ProximaDBClient("grpc://localhost:5678")    # gRPC, same methods
    client.create_collection(name="embeddings", dimension=3)
    client.batch_insert("embeddings", [{"id": "doc_1", "vector": [0.1, 0.2, 0.3]}])
    results = client.search("embeddings", query_vector=[0.1, 0.2, 0.3], k=10)

``AsyncProximaDBClient`` offers the same methods as coroutines.
"""

from .async_client import AsyncProximaDBClient
from .client import ProximaDBClient
from .exceptions import (
    AlreadyExists,
    CollectionAlreadyExists,
    CollectionNotFound,
    DimensionMismatch,
    FailedPrecondition,
    OutOfRange,
    InvalidArgument,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PointNotFound,
    ProximaDBError,
    ResourceExhausted,
    SegmentNotFound,
    ServerError,
    Timeout,
    Unauthorized,
    Unavailable,
)
from .models import (
    Alias,
    RestoredSnapshot,
    Snapshot,
    SnapshotFile,
    BatchInsertResult,
    Change,
    Collection,
    CollectionStats,
    RecallEstimate,
    BackgroundIo,
    BackgroundTask,
    FacetValue,
    FilterableColumn,
    FlushPolicy,
    HealthStatus,
    MetadataPatchResult,
    Point,
    QuarantineEntry,
    ScrollPage,
    SearchGroup,
    SearchGroups,
    SearchResult,
    SearchExplain,
    SearchResults,
    Migration,
    Segment,
    SourcePlan,
    TieringPolicy,
)

__version__ = "0.1.0"

__all__ = [
    "ProximaDBClient",
    "AsyncProximaDBClient",
    "ProximaDBError",
    "NotFound",
    "CollectionNotFound",
    "PointNotFound",
    "SegmentNotFound",
    "AlreadyExists",
    "CollectionAlreadyExists",
    "InvalidArgument",
    "DimensionMismatch",
    "PayloadTooLarge",
    "ResourceExhausted",
    "FailedPrecondition",
    "OutOfRange",
    "Change",
    "Unauthorized",
    "PermissionDenied",
    "ServerError",
    "Unavailable",
    "Timeout",
    "BatchInsertResult",
    "Collection",
    "CollectionStats",
    "RecallEstimate",
    "BackgroundIo",
    "BackgroundTask",
    "FlushPolicy",
    "HealthStatus",
    "MetadataPatchResult",
    "Point",
    "Alias",
    "Snapshot",
    "SnapshotFile",
    "RestoredSnapshot",
    "QuarantineEntry",
    "ScrollPage",
    "FacetValue",
    "FilterableColumn",
    "SearchGroup",
    "SearchGroups",
    "SearchResult",
    "SearchExplain",
    "SearchResults",
    "SourcePlan",
    "Migration",
    "Segment",
    "TieringPolicy",
    "__version__",
]

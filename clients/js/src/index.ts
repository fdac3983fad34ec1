export { ProximaDBClient } from "./client.js";
export type {
  BatchSearchOptions,
  ClientOptions,
  CreateCollectionOptions,
  DeleteOptions,
  GetOptions,
  PatchMetadataOptions,
  PointInput,
  RecommendOptions,
  RequestOptions,
  ScrollOptions,
  ScrollPageOptions,
  SearchOptions,
  UpdateCollectionOptions,
  UpsertOptions,
} from "./client.js";
export * from "./errors.js";
export type * from "./models.js";
export { parseEndpoint, f32Shortest, MAX_BATCH_SEARCH, MAX_IDS_PER_CALL } from "./common.js";
export type { Endpoint, Vector } from "./common.js";

// CollectionConfig <-> JSON, the form in which the catalog stores a
// collection's configuration (docs/FORMATS.md, "Catalog (SQLite)").
#pragma once

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::catalog {

// Every field; unset flush-policy fields are omitted (not null) so that they
// keep following the server defaults.
nlohmann::json CollectionConfigToJson(const CollectionConfig& config);

// The inverse. Missing optional parts take their defaults (index, flush,
// wal_format) and unknown keys are ignored, so older and newer catalogs load.
// A wrong type or out-of-range number is kInvalidArgument. Range rules beyond
// "fits the field" are ValidateCollectionConfig's job, not the codec's.
// Never throws.
Result<CollectionConfig> CollectionConfigFromJson(const nlohmann::json& j);

}  // namespace proximadb::catalog

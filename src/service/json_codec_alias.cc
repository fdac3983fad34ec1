// JSON forms of the alias operations (docs/API.md, "Aliases").
#include <string>

#include "service/json_codec.h"
#include "service/json_fields.h"

namespace proximadb::service {

using nlohmann::json;
using namespace detail;  // NOLINT: the codec's field helpers

namespace {

// {"alias": "...", "collection": "..."} (create) or {"alias": "..."}
// (delete), at `path` ("actions[2].create").
Result<AliasAction> ParseOneAction(const json& value, const std::string& at) {
  if (!value.is_object() || value.size() != 1) {
    return Status::InvalidArgument(
        at + ": must be an object with one key, 'create' or 'delete'");
  }
  const auto it = value.begin();
  const std::string key = it.key();
  const json& body = it.value();
  AliasAction a;
  if (key == "create") {
    a.kind = AliasAction::Kind::kCreate;
  } else if (key == "delete") {
    a.kind = AliasAction::Kind::kDelete;
  } else {
    return Status::InvalidArgument("unknown field " + Quote(at + "." + key) +
                                   " (an action is 'create' or 'delete')");
  }
  const std::string path = at + "." + key;
  PDB_RETURN_IF_ERROR(RequireObject(body, "field " + Quote(path)));
  if (a.kind == AliasAction::Kind::kCreate) {
    PDB_RETURN_IF_ERROR(
        RefuseUnknownFields(body, {"alias", "collection"}, path));
  } else {
    PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"alias"}, path));
  }
  const json* alias = FindField(body, "alias");
  if (alias == nullptr) {
    return Status::InvalidArgument("missing required field " +
                                   Quote(path + ".alias"));
  }
  PDB_ASSIGN_OR_RETURN(a.alias, GetString(*alias, path + ".alias"));
  if (a.kind == AliasAction::Kind::kCreate) {
    const json* c = FindField(body, "collection");
    if (c == nullptr) {
      return Status::InvalidArgument("missing required field " +
                                     Quote(path + ".collection"));
    }
    PDB_ASSIGN_OR_RETURN(a.collection, GetString(*c, path + ".collection"));
  }
  return a;
}

}  // namespace

Result<std::vector<AliasAction>> ParseAliasActions(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"actions"}));
  const json* list = FindField(body, "actions");
  if (list == nullptr) {
    return Status::InvalidArgument("missing required field 'actions'");
  }
  if (!list->is_array()) return TypeError("actions", "an array", *list);
  std::vector<AliasAction> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    PDB_ASSIGN_OR_RETURN(
        AliasAction a,
        ParseOneAction((*list)[i], "actions[" + std::to_string(i) + "]"));
    out.push_back(std::move(a));
  }
  // Count and names: VectorService::UpdateAliases (ValidateAliasActions),
  // where the gRPC form is checked too.
  return out;
}

json AliasesToJson(const std::vector<AliasInfo>& aliases) {
  json list = json::array();
  for (const AliasInfo& a : aliases) {
    list.push_back({{"alias", a.alias}, {"collection", a.collection}});
  }
  return json{{"aliases", std::move(list)}};
}

}  // namespace proximadb::service

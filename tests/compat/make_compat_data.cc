// Writes the compatibility data set (tests/compat/compat_data.h) into a new
// data directory with the current code: the catalog, flushed and compacted
// segments with their HNSW graphs (int8 codes included) and payload index
// files, the manifests, and WALs (native and Avro) holding unflushed writes
// of every op type. scripts/make-compat-data.sh runs it to add
// tests/data/v<VERSION>/; tests/compat/compat_test.cc opens every such
// directory with the current code.
//   make_compat_data <new directory>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "compat/compat_data.h"
#include "proximadb/db.h"

namespace proximadb::compat {
namespace {

// What VectorService::DeleteByFilter does: scroll the matches page by page
// and delete each page as one batch.
Status DeleteMatching(Collection& c, const nlohmann::json& filter) {
  ScrollRequest req;
  req.filter = filter;
  req.limit = 1000;
  for (;;) {
    PDB_ASSIGN_OR_RETURN(ScrollPage page, c.Scroll(req));
    if (page.points.empty()) return Status::OK();
    std::vector<std::string> ids;
    for (const StoredPoint& p : page.points) ids.push_back(p.id);
    PDB_RETURN_IF_ERROR(c.Delete(ids).status());
    if (page.next_after_id.empty()) return Status::OK();
    req.after_id = page.next_after_id;
  }
}

Status Run(Collection& c, const Step& s) {
  switch (s.kind) {
    case Step::Kind::kUpsert:
      return c.Upsert(s.points).status();
    case Step::Kind::kDelete:
      return c.Delete(s.ids).status();
    case Step::Kind::kDeleteByFilter:
      return DeleteMatching(c, s.filter);
    case Step::Kind::kUpdateMetadata:
      return c.UpdateMetadata(s.ids[0], s.metadata);
    case Step::Kind::kCreatePayloadIndex:
      return c.CreatePayloadIndex(s.index);
    case Step::Kind::kFlush:
      return c.Flush();
    case Step::Kind::kCompact:
      return c.Compact();
  }
  return Status::Internal("unknown step");
}

Status Generate(const std::string& dir) {
  DBOptions options;
  options.background_threads = false;  // graphs are built inline
  PDB_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(options, dir));
  for (const CompatCollection& cc : DataSet()) {
    PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c,
                         db->CreateCollection(cc.config));
    for (size_t i = 0; i < cc.steps.size(); ++i) {
      Status s = Run(*c, cc.steps[i]);
      if (!s.ok()) {
        return Status::Internal(cc.config.name + " step " + std::to_string(i) +
                                ": " + s.ToString());
      }
    }
  }
  return Status::OK();  // closing the DB leaves the WAL writes unflushed
}

}  // namespace
}  // namespace proximadb::compat

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <new data directory>\n", argv[0]);
    return 2;
  }
  std::error_code ec;
  if (std::filesystem::exists(argv[1], ec)) {
    std::fprintf(stderr,
                 "%s exists: the data of a release is never rewritten\n",
                 argv[1]);
    return 2;
  }
  proximadb::Status s = proximadb::compat::Generate(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "make_compat_data: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

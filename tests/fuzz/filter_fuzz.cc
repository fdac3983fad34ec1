// Fuzz target: the filter compiler (Filter::Parse), both evaluators and the
// payload-index bounds (index_plan.h).
//
// Input: the filter's JSON on the first line, then metadata documents, one
// per line (at most 16).
// Invariants:
//   * Parse never throws; a refused filter is kInvalidArgument;
//   * on every document nlohmann accepts: Matches(doc) ==
//     MatchesText(doc.dump()) == the reference evaluator of
//     tests/filter/filter_reference.h, and MatchesText(line) agrees too
//     when the line has no duplicate keys (where "last one wins" and the
//     streaming reader legitimately differ);
//   * any line at all is safe to give MatchesText;
//   * over a segment holding the documents, with payload indexes on the
//     filter's fields: EstimateMatches is an upper bound of the matching
//     rows, and CandidateRows (when it answers) is a sorted, duplicate-free
//     superset of them.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collection/payload_index.h"
#include "filter/filter.h"
#include "filter/filter_reference.h"
#include "filter/index_plan.h"
#include "fuzz_util.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_writer.h"

namespace proximadb::fuzz {
namespace {

using nlohmann::json;

constexpr size_t kMaxDocs = 16;

struct Doc {
  std::string text;  // the line as given
  bool parsed = false;
  bool duplicate_keys = false;
  json value;
};

Doc ParseDoc(std::string_view line) {
  Doc d;
  d.text = std::string(line);
  std::vector<std::set<std::string>> keys;
  bool dup = false;
  json::parser_callback_t cb = [&](int, json::parse_event_t e, json& v) {
    if (e == json::parse_event_t::object_start) keys.emplace_back();
    if (e == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (e == json::parse_event_t::key && !keys.empty() &&
        !keys.back().insert(v.get<std::string>()).second) {
      dup = true;
    }
    return true;
  };
  d.value = json::parse(line.begin(), line.end(), cb,
                        /*allow_exceptions=*/false);
  // nlohmann stops at a NUL as if the input ended there; such a line is
  // not JSON (ParseJsonBody refuses it at the API edge).
  d.parsed = !d.value.is_discarded() && line.find('\0') == line.npos;
  d.duplicate_keys = dup;
  return d;
}

// Every field path of the filter with the type of index to give it: the
// type its first operand would use (so the index bounds get to answer).
void CollectFields(const json& f,
                   std::map<std::string, PayloadIndexType>* out) {
  if (!f.is_object()) return;
  for (const auto& [key, value] : f.items()) {
    if (key == "$and" || key == "$or") {
      for (const auto& child : value) CollectFields(child, out);
      continue;
    }
    if (key == "$not") {
      CollectFields(value, out);
      continue;
    }
    json operand = value;
    if (value.is_object() && !value.empty()) operand = value.begin().value();
    if (operand.is_array() && !operand.empty()) operand = operand[0];
    PayloadIndexType t = PayloadIndexType::kKeyword;
    if (value.is_object() && !value.empty() && value.begin().key() == "$text") {
      t = PayloadIndexType::kText;
    }
    if (operand.is_boolean()) t = PayloadIndexType::kBool;
    if (operand.is_number_float()) t = PayloadIndexType::kFloat;
    if (operand.is_number_integer()) t = PayloadIndexType::kInteger;
    out->emplace(key, t);
  }
}

void CheckCandidateBounds(const filter::Filter& f, const json& spec,
                          const std::vector<Doc>& docs) {
  Env* env = MemEnvWithDir("/seg");
  const float one = 1.0f;
  std::vector<std::string> ids;
  for (size_t i = 0; i < docs.size(); ++i) {
    ids.push_back("r" + std::to_string(100 + i));  // sorted: same width
  }
  // Stored metadata is always what nlohmann dumped (the write path and WAL
  // replay store nothing else), so a line it refused stands for "{}".
  std::vector<std::string> meta;
  for (const Doc& d : docs) meta.push_back(d.parsed ? d.value.dump() : "{}");
  Status s = segment::WriteSegment(
      env, "/seg/s.pdb", {1, 1, Metric::kEuclidean}, docs.size(),
      [&](size_t i) {
        return segment::SegmentRow{ids[i], &one, meta[i], 1};
      },
      [](size_t) { return false; });
  FUZZ_CHECK(s.ok(), s);
  auto seg = segment::Segment::Open(env, "/seg/s.pdb");
  FUZZ_CHECK(seg.ok(), seg.status());

  std::map<std::string, PayloadIndexType> fields;
  CollectFields(spec, &fields);
  std::vector<PayloadIndexDef> defs;
  for (const auto& [field, type] : fields) defs.push_back({field, type});
  auto idx = SegmentPayloadIndex::Build(**seg, defs);

  std::vector<uint32_t> matching;
  for (size_t r = 0; r < (*seg)->size(); ++r) {
    if (f.MatchesText((*seg)->metadata_json(r))) {
      matching.push_back(static_cast<uint32_t>(r));
    }
  }
  const uint64_t estimate = filter::EstimateMatches(f, *idx, (*seg)->size());
  FUZZ_CHECK(estimate >= matching.size(), "estimate below the matches");
  auto rows = filter::CandidateRows(f, *idx);
  const auto bound = filter::BoundMatches(f, *idx, (*seg)->size());
  FUZZ_CHECK(bound.has_value() == rows.has_value(),
             "BoundMatches and CandidateRows disagree on boundedness",
             spec.dump());
  if (!rows) return;
  for (size_t i = 1; i < rows->size(); ++i) {
    FUZZ_CHECK((*rows)[i - 1] < (*rows)[i], "candidates not sorted/unique");
  }
  for (uint32_t r : matching) {
    FUZZ_CHECK(std::binary_search(rows->begin(), rows->end(), r),
               "a matching row is missing from the candidates",
               spec.dump() + " on " + meta[r]);
  }
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  std::string_view in = AsView(data, size);
  const size_t eol = in.find('\n');
  const std::string_view spec_text = in.substr(0, eol);
  std::vector<Doc> docs;
  for (std::string_view rest = eol == in.npos ? "" : in.substr(eol + 1);
       !rest.empty() && docs.size() < kMaxDocs;) {
    const size_t nl = rest.find('\n');
    docs.push_back(ParseDoc(rest.substr(0, nl)));
    rest = nl == rest.npos ? "" : rest.substr(nl + 1);
  }

  const json spec = json::parse(spec_text.begin(), spec_text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (spec.is_discarded() || spec_text.find('\0') != spec_text.npos) return 0;
  Result<filter::Filter> f = filter::Filter::Parse(spec);
  if (!f.ok()) {
    FUZZ_CHECK(f.status().code() == StatusCode::kInvalidArgument, f.status());
    return 0;
  }
  // The reference splits words by ASCII rules only (filter_reference.h);
  // where $text meets other text, the evaluators are checked against each
  // other (tests/filter/text_test.cc pins the Unicode rules).
  const std::string spec_dump = spec.dump();
  const bool has_text = spec_dump.find("$text") != std::string::npos;
  auto ascii = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x80;
    });
  };
  for (const Doc& d : docs) {
    const bool text = f->MatchesText(d.text);  // must be safe on any bytes
    if (!d.parsed) continue;
    const std::string dumped = d.value.dump();
    const bool want = has_text && !(ascii(spec_dump) && ascii(dumped))
                          ? f->Matches(d.value)
                          : filter::reference::RefMatches(spec, d.value);
    FUZZ_CHECK(f->Matches(d.value) == want, "Matches != reference",
               spec.dump() + " on " + dumped);
    FUZZ_CHECK(f->MatchesText(dumped) == want, "MatchesText != reference",
               spec.dump() + " on " + dumped);
    if (!d.duplicate_keys) {
      FUZZ_CHECK(text == want, "MatchesText(raw line) != reference",
                 spec.dump() + " on " + d.text);
    }
  }
  CheckCandidateBounds(*f, spec, docs);
  return 0;
}

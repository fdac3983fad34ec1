// Filter::MatchesText: evaluates a filter over compact metadata JSON text
// without building a DOM. The text is read once (json_scan.h); values on a
// path some leaf reads are routed through the path trie to those leaves,
// everything else is skipped. The per-leaf outcome is two bits (path
// reached? some scalar passed?), kept in fixed bitsets on the stack. The
// traversal mirrors AnyAtPath in match_json.cc; the property test holds both
// to the same reference evaluator.
#include <array>
#include <bitset>

#include "filter/filter.h"
#include "filter/json_scan.h"
#include "filter/program.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

constexpr uint32_t kNone = UINT32_MAX;

class TextMatcher {
 public:
  explicit TextMatcher(const Program& p) : p_(&p) {}

  std::bitset<kMaxConditions> exists, positive;

  bool WantsKeys() const { return skip_ == 0; }
  bool WantsValue() const {
    return skip_ == 0 && top_ > 0 && (Target().first != kNone || InGeoMember());
  }

  void Scalar(const Value& v) {
    if (skip_ > 0 || top_ == 0) return;  // top-level scalar: no fields
    if (InGeoMember() && v.is_number()) {
      // The last "lat" / "lon" member wins, as in a parsed document.
      Frame& f = frames_[top_ - 1];
      (member_ == kLat ? f.has_lat : f.has_lon) = true;
      (member_ == kLat ? f.lat : f.lon) = v.as_double();
    }
    const auto [node, element] = Target();
    if (node == kNone) return;
    if (!element) MarkExists(node);
    for (uint32_t leaf : p_->trie[node].leaves) {
      if (!positive[leaf] && PositiveTest(p_->leaves[leaf], v)) {
        positive.set(leaf);
      }
    }
  }

  void StartObject() {
    if (skip_ > 0) return Skip();
    if (top_ == 0) return Push(0, /*array=*/false);  // the document
    const auto [node, element] = Target();
    if (node == kNone) return Skip();
    if (!element) MarkExists(node);
    // An object where a geo leaf looks may be a point: enter it to read its
    // lat and lon (GeoPointOf, filter/geo.h), even with no deeper path.
    const bool geo = p_->trie[node].geo;
    if (p_->trie[node].children.empty() && !geo) return Skip();
    Push(node, /*array=*/false, geo);
  }

  void StartArray() {
    if (skip_ > 0 || top_ == 0) return Skip();  // top-level array: no fields
    const auto [node, element] = Target();
    // Arrays inside arrays are not flattened (see AnyAtPath).
    if (node == kNone || element) return Skip();
    MarkExists(node);
    Push(node, /*array=*/true);
  }

  void End() {
    if (skip_ > 0) {
      --skip_;
    } else {
      const Frame& f = frames_[top_ - 1];
      if (f.geo && !f.array) Point(f);
      --top_;
    }
  }

  void Key(std::string_view k) {
    if (skip_ > 0) return;
    pending_ = kNone;
    member_ = kNoMember;
    Frame& f = frames_[top_ - 1];
    if (f.geo) {
      if (k == "lat") {
        member_ = kLat;
        f.has_lat = false;  // until a number arrives
      } else if (k == "lon") {
        member_ = kLon;
        f.has_lon = false;
      }
    }
    for (const auto& [name, child] :
         p_->trie[frames_[top_ - 1].node].children) {
      if (name == k) pending_ = child;
    }
  }

 private:
  struct Frame {
    uint32_t node;
    bool array;
    bool geo = false;  // an object at a geo leaf's path: collects lat/lon
    bool has_lat = false, has_lon = false;
    double lat = 0, lon = 0;
  };
  enum Member : uint8_t { kNoMember, kLat, kLon };

  // Is the next value the "lat" or "lon" member of a geo object?
  bool InGeoMember() const {
    const Frame& f = frames_[top_ - 1];
    return member_ != kNoMember && f.geo && !f.array;
  }

  // A geo object closed: test it against the geo leaves of its node.
  void Point(const Frame& f) {
    if (!f.has_lat || !f.has_lon || !ValidLat(f.lat) || !ValidLon(f.lon)) {
      return;
    }
    for (uint32_t leaf : p_->trie[f.node].leaves) {
      const Leaf& l = p_->leaves[leaf];
      if (IsGeo(l.op) && !positive[leaf] &&
          GeoContains(l.geo, GeoPoint{f.lat, f.lon})) {
        positive.set(leaf);
      }
    }
  }

  // Where the next value lands: the trie node, and whether it is an element
  // of an array (which already counted as the path's value for $exists).
  std::pair<uint32_t, bool> Target() const {
    const Frame& f = frames_[top_ - 1];
    if (f.array) return {f.node, true};
    return {pending_, false};
  }

  void MarkExists(uint32_t node) {
    for (uint32_t leaf : p_->trie[node].leaves) exists.set(leaf);
  }

  void Push(uint32_t node, bool array, bool geo = false) {
    // Frames only nest along trie paths: at most an object and an array per
    // path segment, plus the document, so this cannot overflow (a geo
    // object is the object of its leaf's last segment).
    frames_[top_++] = Frame{node, array, geo};
  }

  void Skip() { ++skip_; }

  const Program* p_;
  std::array<Frame, 2 * kMaxPathSegments + 2> frames_;
  size_t top_ = 0;
  size_t skip_ = 0;  // depth inside a container no leaf reads
  uint32_t pending_ = kNone;
  Member member_ = kNoMember;  // the current key of a geo object
};

// Feeds nlohmann's SAX events to a TextMatcher: the fallback for documents
// nested deeper than JsonScanner handles.
class SaxAdapter final : public nlohmann::json_sax<json> {
 public:
  explicit SaxAdapter(TextMatcher* m) : m_(m) {}

  bool null() override { return Scalar(Value::Null()); }
  bool boolean(bool v) override { return Scalar(Value::Bool(v)); }
  bool number_integer(number_integer_t v) override {
    return Scalar(Value::Int(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    return Scalar(Value::Uint(v));
  }
  bool number_float(number_float_t v, const string_t&) override {
    return Scalar(Value::Double(v));
  }
  bool string(string_t& v) override { return Scalar(Value::String(v)); }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    return Do(&TextMatcher::StartObject);
  }
  bool start_array(std::size_t) override {
    return Do(&TextMatcher::StartArray);
  }
  bool end_object() override { return Do(&TextMatcher::End); }
  bool end_array() override { return Do(&TextMatcher::End); }
  bool key(string_t& k) override {
    m_->Key(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Scalar(const Value& v) {
    m_->Scalar(v);
    return true;
  }
  bool Do(void (TextMatcher::*f)()) {
    (m_->*f)();
    return true;
  }

  TextMatcher* m_;
};

}  // namespace

bool Filter::MatchesText(std::string_view metadata_json) const {
  if (!program_) return true;
  const Program& p = *program_;
  TextMatcher m(p);
  JsonScanner<TextMatcher> scanner(metadata_json, &m);
  switch (scanner.Run()) {
    case ScanResult::kOk:
      break;
    case ScanResult::kInvalid:
      return false;  // unparsable text matches nothing
    case ScanResult::kTooDeep: {
      m = TextMatcher(p);
      SaxAdapter sax(&m);
      try {
        if (!json::sax_parse(metadata_json.begin(), metadata_json.end(),
                             &sax)) {
          return false;
        }
      } catch (const std::exception&) {
        return false;
      }
      break;
    }
  }
  return EvalNode(p, p.root, [&](uint32_t leaf) {
    return LeafResult(p.leaves[leaf], m.exists[leaf], m.positive[leaf]);
  });
}

}  // namespace proximadb::filter

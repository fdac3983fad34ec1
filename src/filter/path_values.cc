#include "filter/path_values.h"

#include <array>
#include <deque>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/index_plan.h"
#include "filter/json_scan.h"

namespace proximadb::filter {
namespace {

// A JsonScanner handler following one path: each open container the path
// passes through is a frame holding how many path segments lie above it.
class PathReader {
 public:
  PathReader(std::string_view text, const std::vector<std::string>& path)
      : text_(text), path_(path) {}

  // The values reached, valid while the text is (strings the scanner had
  // to unescape are copied).
  std::vector<Value> values;

  bool WantsKeys() const { return skip_ == 0; }
  bool WantsValue() const { return skip_ == 0 && top_ > 0 && Target() >= 0; }

  void Scalar(const Value& v) {
    if (skip_ > 0 || top_ == 0) return;
    if (Target() != static_cast<int>(path_.size())) return;
    Value kept = v;
    if (v.type == Value::Type::kString &&
        (v.s.data() < text_.data() ||
         v.s.data() >= text_.data() + text_.size())) {
      kept.s = unescaped_.emplace_back(v.s);  // from the scanner's scratch
    }
    values.push_back(kept);
  }

  void StartObject() {
    if (skip_ > 0) return Skip();
    if (top_ == 0) return Push(0, /*array=*/false);  // the document
    const int level = Target();
    // An object at the path's end is not a scalar; one before it is read.
    if (level < 0 || level == static_cast<int>(path_.size())) return Skip();
    Push(level, /*array=*/false);
  }

  void StartArray() {
    if (skip_ > 0 || top_ == 0) return Skip();  // top-level array: no fields
    const int level = Target();
    if (level < 0 || frames_[top_ - 1].array) return Skip();  // not flattened
    Push(level, /*array=*/true);
  }

  void End() {
    if (skip_ > 0) {
      --skip_;
    } else {
      --top_;
    }
  }

  void Key(std::string_view k) {
    if (skip_ > 0) return;
    const Frame& f = frames_[top_ - 1];
    matched_ = f.level < static_cast<int>(path_.size()) && path_[f.level] == k;
  }

 private:
  struct Frame {
    int level;  // path segments matched by the keys above this container
    bool array;
  };

  // The level of the next value: an array's elements stand where the array
  // does; an object member is one level deeper when its key matched, and
  // off the path (-1) otherwise.
  int Target() const {
    const Frame& f = frames_[top_ - 1];
    if (f.array) return f.level;
    return matched_ ? f.level + 1 : -1;
  }

  void Push(int level, bool array) { frames_[top_++] = Frame{level, array}; }
  void Skip() { ++skip_; }

  std::string_view text_;
  const std::vector<std::string>& path_;
  std::deque<std::string> unescaped_;  // stable addresses
  // Frames nest only along the path: an object and an array per segment,
  // plus the document.
  std::array<Frame, 2 * kMaxPathSegments + 2> frames_{};
  size_t top_ = 0;
  size_t skip_ = 0;  // depth inside a container off the path
  bool matched_ = false;
};

}  // namespace

void ForEachScalarAtPathText(std::string_view metadata_json,
                             const std::vector<std::string>& path,
                             const std::function<void(const Value&)>& fn) {
  if (path.empty() || path.size() > static_cast<size_t>(kMaxPathSegments)) {
    return;
  }
  // Values are handed out only once the whole text has scanned, so a
  // document rejected half way reports none.
  PathReader reader(metadata_json, path);
  JsonScanner<PathReader> scanner(metadata_json, &reader);
  switch (scanner.Run()) {
    case ScanResult::kOk:
      for (const Value& v : reader.values) fn(v);
      return;
    case ScanResult::kInvalid:
      return;
    case ScanResult::kTooDeep: {
      // Deeper than the scanner goes (metadata accepted at the edge never
      // is): parse it.
      const nlohmann::json doc = nlohmann::json::parse(
          metadata_json, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_discarded()) ForEachScalarAtPath(doc, path, fn);
      return;
    }
  }
}

}  // namespace proximadb::filter

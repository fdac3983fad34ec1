#include "storage/object/s3_xml.h"

#include <expat.h>

#include <charconv>
#include <functional>
#include <memory>

namespace proximadb::object::s3 {

namespace {

// Collects, for a SAX walk, the text of each element and hands completed
// elements to `on_end(path, text)` where `path` is "Parent/Child" (the two
// innermost element names; namespaces are not split, S3 uses a default
// one).
class Walker {
 public:
  template <typename OnStart, typename OnEnd>
  static Status Run(std::string_view xml, OnStart on_start, OnEnd on_end) {
    Walker w;
    w.on_start_ = on_start;
    w.on_end_ = on_end;
    std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> p(
        XML_ParserCreate("UTF-8"), XML_ParserFree);
    if (!p) return Status::Internal("s3: cannot create an XML parser");
    XML_SetUserData(p.get(), &w);
    XML_SetElementHandler(p.get(), &Walker::Start, &Walker::End);
    XML_SetCharacterDataHandler(p.get(), &Walker::Text);
    if (XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), 1) ==
        XML_STATUS_ERROR) {
      return Status::Corruption(
          std::string("s3: malformed XML answer: ") +
          XML_ErrorString(XML_GetErrorCode(p.get())) + " at line " +
          std::to_string(XML_GetCurrentLineNumber(p.get())));
    }
    return Status::OK();
  }

 private:
  static void Start(void* user, const XML_Char* name, const XML_Char**) {
    auto* w = static_cast<Walker*>(user);
    w->stack_.emplace_back(name);
    w->text_.clear();
    w->on_start_(w->Path());
  }
  static void End(void* user, const XML_Char*) {
    auto* w = static_cast<Walker*>(user);
    w->on_end_(w->Path(), w->text_);
    w->text_.clear();
    w->stack_.pop_back();
  }
  static void Text(void* user, const XML_Char* s, int len) {
    static_cast<Walker*>(user)->text_.append(s, static_cast<size_t>(len));
  }
  std::string Path() const {
    if (stack_.size() < 2) return stack_.empty() ? "" : stack_.back();
    return stack_[stack_.size() - 2] + "/" + stack_.back();
  }

  std::vector<std::string> stack_;
  std::string text_;
  std::function<void(const std::string&)> on_start_;
  std::function<void(const std::string&, const std::string&)> on_end_;
};

}  // namespace

Result<ListResult> ParseListObjectsV2(std::string_view xml) {
  ListResult r;
  bool root_seen = false;
  bool bad_size = false;
  Status s = Walker::Run(
      xml,
      [&](const std::string& path) {
        if (path == "ListBucketResult") root_seen = true;
        if (path == "ListBucketResult/Contents") r.objects.emplace_back();
      },
      [&](const std::string& path, const std::string& text) {
        if (path == "Contents/Key" && !r.objects.empty()) {
          r.objects.back().key = text;
        } else if (path == "Contents/Size" && !r.objects.empty()) {
          uint64_t v = 0;
          auto [end, ec] =
              std::from_chars(text.data(), text.data() + text.size(), v);
          if (ec != std::errc() || end != text.data() + text.size()) {
            bad_size = true;
          }
          r.objects.back().size = v;
        } else if (path == "ListBucketResult/IsTruncated") {
          r.is_truncated = text == "true";
        } else if (path == "ListBucketResult/NextContinuationToken") {
          r.next_token = text;
        }
      });
  PDB_RETURN_IF_ERROR(s);
  if (!root_seen) {
    return Status::Corruption("s3: list answer is not a ListBucketResult");
  }
  if (bad_size) return Status::Corruption("s3: list answer has a bad <Size>");
  for (const auto& o : r.objects) {
    if (o.key.empty()) {
      return Status::Corruption("s3: list answer has an entry without <Key>");
    }
  }
  if (r.is_truncated && r.next_token.empty()) {
    return Status::Corruption(
        "s3: list answer is truncated but has no NextContinuationToken");
  }
  return r;
}

Result<std::string> ParseUploadId(std::string_view xml) {
  std::string id;
  PDB_RETURN_IF_ERROR(Walker::Run(
      xml, [](const std::string&) {},
      [&](const std::string& path, const std::string& text) {
        if (path == "InitiateMultipartUploadResult/UploadId") id = text;
      }));
  if (id.empty()) {
    return Status::Corruption("s3: multipart initiate answer has no UploadId");
  }
  return id;
}

std::string ParseErrorCode(std::string_view xml) {
  if (xml.find("<Error") == std::string_view::npos) return "";
  std::string code;
  Status s = Walker::Run(
      xml, [](const std::string&) {},
      [&](const std::string& path, const std::string& text) {
        if (path == "Error/Code") code = text;
      });
  if (!s.ok()) return "";
  // Only a plain identifier: nothing from the body that could echo a key.
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return "";
    }
  }
  return code.size() <= 64 ? code : "";
}

}  // namespace proximadb::object::s3

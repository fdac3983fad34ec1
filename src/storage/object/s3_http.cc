#include "storage/object/s3_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace proximadb::object::s3 {

namespace {

// Error bodies are XML of a few hundred bytes; a huge one is cut here.
constexpr size_t kMaxErrorBody = 64 * 1024;

struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  size_t read_pos = 0;
  BodySink* sink = nullptr;
  HttpResponse* response = nullptr;
};

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view body = t->request->body;
  size_t take = std::min(size * n, body.size() - t->read_pos);
  if (take == 0) return 0;  // (an empty body's data() may be null)
  std::memcpy(buf, body.data() + t->read_pos, take);
  t->read_pos += take;
  return take;
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink != nullptr && Is2xx(status)) {
    Status s = t->sink->Write(data, len);
    if (!s.ok()) {
      t->response->sink_status = std::move(s);
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    return len;
  }
  std::string& body = t->response->body;
  if (t->sink == nullptr || body.size() < kMaxErrorBody) {
    body.append(data, len);
  }
  return len;
}

size_t HeaderLine(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // A new status line (after "100 Continue" or a redirect) starts over.
  if (line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' ||
                            value.back() == ' ')) {
    value.remove_suffix(1);
  }
  t->response->headers[name] = std::string(value);
  return line.size();
}

}  // namespace

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpResponse PerformOnce(const HttpConfig& config, const HttpRequest& request,
                         BodySink* sink) {
  HttpResponse response;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    response.curl_code = CURLE_FAILED_INIT;
    return response;
  }
  Transfer t{curl, &request, 0, sink, &response};
  struct curl_slist* headers = nullptr;
  // radosgw (and AWS) require it; curl 7.88 signs with it but does not add
  // it.
  headers =
      curl_slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
  // (No "Expect:" here to skip curl's 100-continue: curl 7.88 would sign
  // the empty header it then does not send, and the signature fails.)
  for (const std::string& h : request.headers) {
    headers = curl_slist_append(headers, h.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, config.sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, config.userpwd.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, config.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, config.request_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  std::string_view method = request.method;
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    // Never null: a null POSTFIELDS makes curl read the body from stdin.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                     request.body.empty() ? "" : request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (method == "DELETE") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
  CURLcode rc = curl_easy_perform(curl);
  response.curl_code = rc;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_off_t up = 0, down = 0;
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
  response.bytes_up = static_cast<uint64_t>(up);
  response.bytes_down = static_cast<uint64_t>(down);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

bool IsRetryableCurl(int curl_code) {
  switch (curl_code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:  // refused
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:  // reset while sending
    case CURLE_RECV_ERROR:  // reset while receiving
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:  // the body ended before Content-Length
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool IsRetryableHttp(long status) { return status >= 500 || status == 429; }

std::string CurlError(int curl_code) {
  return curl_easy_strerror(static_cast<CURLcode>(curl_code));
}

uint64_t BackoffMs(int attempt, int base_ms, uint64_t random) {
  if (attempt < 2 || base_ms <= 0) return 0;
  uint64_t d = static_cast<uint64_t>(base_ms);
  for (int i = 2; i < attempt && d < kMaxBackoffMs; i++) d *= 2;
  d = std::min(d, kMaxBackoffMs);
  uint64_t half = d / 2;
  return half + random % (d - half + 1);
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~' || (c == '/' && keep_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace proximadb::object::s3

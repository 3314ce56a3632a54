#include "hub/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "embetter/error.h"

namespace emb::hub {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// Keeps the headers of the last response of a redirect chain.
std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    resp->headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    resp->headers[name] = value;
  }
  return size * n;
}

struct Sink {
  std::FILE* out;
  CURL* curl;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  long code = 0;
  curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 300) return size * n;  // error pages and redirect bodies are not the file
  return std::fwrite(data, size, n, sink->out) * size;
}

struct ProgressState {
  const TransferProgress* fn;
};

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* st = static_cast<ProgressState*>(user);
  if (st->fn && *st->fn) (*st->fn)(static_cast<std::uint64_t>(now), static_cast<std::uint64_t>(total));
  return 0;
}

CurlPtr make_handle(const std::string& url, curl_slist* headers, HttpResponse* resp) {
  global_init();
  CurlPtr curl(curl_easy_init());
  EMB_CHECK_AS(ModelLoadError, curl, "libcurl could not start a request for ", url);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "embetter/0.1 (huggingface_hub-compatible)");
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, resp);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  // A stalled transfer (under 1 byte/s for a minute) fails instead of hanging forever.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  return curl;
}

SlistPtr to_slist(const std::vector<std::string>& headers) {
  curl_slist* list = nullptr;
  // The hub compresses nothing we fetch, and sizes must be the real file sizes.
  list = curl_slist_append(list, "Accept-Encoding: identity");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  return SlistPtr(list);
}

void check_transfer(CURLcode rc, const std::string& url, const char* errbuf) {
  if (rc == CURLE_OK) return;
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  throw ModelLoadError("request to " + url + " failed: " + detail);
}

}  // namespace

HttpClient::HttpClient(std::vector<std::string> headers) : headers_(std::move(headers)) {}

HttpResponse HttpClient::head(const std::string& url) const {
  HttpResponse resp;
  auto list = to_slist(headers_);
  auto curl = make_handle(url, list.get(), &resp);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  check_transfer(curl_easy_perform(curl.get()), url, errbuf);
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

HttpResponse HttpClient::download(const std::string& url, std::FILE* out, const TransferProgress& progress) const {
  HttpResponse resp;
  auto list = to_slist(headers_);
  auto curl = make_handle(url, list.get(), &resp);
  char errbuf[CURL_ERROR_SIZE] = {0};
  Sink sink{out, curl.get()};
  ProgressState pstate{&progress};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &pstate);
  check_transfer(curl_easy_perform(curl.get()), url, errbuf);
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

}  // namespace emb::hub

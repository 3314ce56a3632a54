#pragma once
// A small libcurl client for the two requests the hub needs: a HEAD that does
// not follow redirects (the hub's metadata is in the first response) and a GET
// that streams a body to a file, following redirects to the CDN.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace emb::hub {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased; the last response's
  std::string header(const std::string& lower_name) const;  ///< "" when absent
};

/// (bytes received, bytes expected or 0 when unknown).
using TransferProgress = std::function<void(std::uint64_t, std::uint64_t)>;

class HttpClient {
 public:
  /// `headers` ("Name: value") are sent with every request.
  explicit HttpClient(std::vector<std::string> headers);

  /// HEAD `url` without following redirects. Throws ModelLoadError on a transport error.
  HttpResponse head(const std::string& url) const;
  /// GET `url` into `out`, following redirects. A transport error or an incomplete
  /// body throws ModelLoadError; an HTTP error status is returned (body discarded).
  HttpResponse download(const std::string& url, std::FILE* out, const TransferProgress& progress) const;

  /// Percent-encodes everything but unreserved characters and, when keep_slash, '/'.
  static std::string escape(const std::string& s, bool keep_slash);

 private:
  std::vector<std::string> headers_;
};

}  // namespace emb::hub

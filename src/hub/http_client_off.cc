// The HTTP client of a build without libcurl (EMB_WITH_HUB=OFF): models
// still come from folders, the Hugging Face cache and Python packages; a file
// that would have to be downloaded is an error that says so.
#include "embetter/error.h"
#include "hub/http_client.h"

namespace emb::hub {
namespace {

[[noreturn]] void refuse(const std::string& url) {
  throw ModelLoadError(detail::concat(
      "cannot download ", url, ": this embetter was built without downloading (EMB_WITH_HUB=OFF, no libcurl); "
      "give a model folder, or put the model into the Hugging Face cache (HF_HUB_CACHE) first"));
}

}  // namespace

HttpClient::HttpClient(std::vector<std::string> headers) : headers_(std::move(headers)) {}

HttpResponse HttpClient::head(const std::string& url) const { refuse(url); }

HttpResponse HttpClient::download(const std::string& url, std::FILE*, const TransferProgress&) const { refuse(url); }

}  // namespace emb::hub

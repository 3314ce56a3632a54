// The parts of the HTTP client that need no libcurl, shared by the real
// client (http_client.cc) and the one of a build without downloads
// (http_client_off.cc, EMB_WITH_HUB=OFF).
#include <cctype>

#include "hub/http_client.h"

namespace emb::hub {

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpClient::escape(const std::string& s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace emb::hub

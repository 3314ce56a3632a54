#include "hub/repo_id.h"

#include <algorithm>
#include <cctype>

#include "embetter/error.h"

namespace emb::hub {
namespace {

bool valid_part(const std::string& p) {
  if (p.empty()) return false;
  auto ok = [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; };
  if (!std::all_of(p.begin(), p.end(), ok)) return false;
  // huggingface_hub's regex anchors each part on word boundaries: no '-'/'.' at the ends.
  auto edge = [](char c) { return c == '-' || c == '.'; };
  return !edge(p.front()) && !edge(p.back());
}

}  // namespace

bool looks_like_repo_id(const std::string& s) {
  if (s.empty() || s.size() > 96) return false;
  if (s.find("--") != std::string::npos || s.find("..") != std::string::npos) return false;
  const auto slash = s.find('/');
  if (slash == std::string::npos) return valid_part(s);
  if (s.find('/', slash + 1) != std::string::npos) return false;
  return valid_part(s.substr(0, slash)) && valid_part(s.substr(slash + 1));
}

std::string canonical_repo_id(const std::string& s) {
  EMB_CHECK(looks_like_repo_id(s), "'", s,
            "' is neither an existing local folder nor a Hugging Face hub id "
            "(expected 'org/name' or 'name' made of letters, digits, '-', '_', '.')");
  // sentence-transformers' rule: a bare name is one of its own models.
  return s.find('/') == std::string::npos ? "sentence-transformers/" + s : s;
}

std::string repo_folder_name(const std::string& repo_id) {
  std::string out = "models";
  std::size_t start = 0;
  while (true) {
    const auto slash = repo_id.find('/', start);
    out += "--" + repo_id.substr(start, slash - start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_commit_hash(const std::string& revision) {
  return revision.size() == 40 && std::all_of(revision.begin(), revision.end(), [](unsigned char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

}  // namespace emb::hub

#include "embetter/jsonl.h"

#include <limits>

#include "embetter/error.h"
#include "io/text_reader.h"

namespace emb {

JsonlColumns read_jsonl(const std::filesystem::path& path, const std::string& text_field,
                        const std::string& label_field) {
  const std::string file = path.string();
  EMB_CHECK(!text_field.empty(), file, ": no text field given");
  JsonlColumns out;
  io::TextReader(path, text_field, label_field).read(std::numeric_limits<std::size_t>::max(), out);
  EMB_CHECK(!out.texts.empty(), file, ": no records (the file is empty or blank); expected one JSON object per line");
  return out;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  JsonlColumns out;
  io::TextReader(path).read(std::numeric_limits<std::size_t>::max(), out);
  EMB_CHECK(!out.texts.empty(), path.string(), ": the file is empty; expected one text per line");
  return std::move(out.texts);
}

}  // namespace emb

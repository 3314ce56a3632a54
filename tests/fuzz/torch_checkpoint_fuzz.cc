// pytorch_model.bin. The first byte picks what the rest is:
//  - even: a whole torch.save archive (libzip's reading, byteorder, storages);
//  - odd: data.pkl alone, put into an archive here beside the storages '0'
//    (6 floats) and '1' (2 floats) of nn.Linear(3, 2)'s state dict, so that
//    the restricted unpickler meets mutated pickles rather than failed CRCs.
// Then every tensor is read as floats.
#include <zip.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "io/torch_checkpoint.h"

namespace {

// A stored (uncompressed) zip of `entries`, written by libzip in memory.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* buf = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_source_keep(buf);
  zip_t* za = zip_open_from_source(buf, ZIP_TRUNCATE, &err);
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(za, data.data(), data.size(), 0);
    const zip_int64_t i = zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8);
    zip_set_file_compression(za, static_cast<zip_uint64_t>(i), ZIP_CM_STORE, 0);
  }
  zip_close(za);
  std::string out;
  zip_source_open(buf);
  zip_source_seek(buf, 0, SEEK_END);
  out.resize(static_cast<std::size_t>(zip_source_tell(buf)));
  zip_source_seek(buf, 0, SEEK_SET);
  zip_source_read(buf, out.data(), out.size());
  zip_source_close(buf);
  zip_source_free(buf);
  zip_error_fini(&err);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string rest(emb::fuzz::as_text(data + 1, size - 1));
  if (data[0] & 1)
    rest = make_zip({{"archive/data.pkl", std::move(rest)},
                     {"archive/byteorder", "little"},
                     {"archive/data/0", std::string(24, '\x01')},
                     {"archive/data/1", std::string(8, '\x02')}});
  emb::fuzz::expect_typed_errors([&] {
    const auto file = emb::io::read_torch_checkpoint_bytes(std::move(rest), "fuzz.bin");
    for (const auto& name : file.names()) {
      (void)file.info(name);
      emb::fuzz::expect_typed_errors([&] { (void)file.finite_floats(name); });
    }
  });
  return 0;
}

#pragma once
// GPT-2's reversible byte → printable character table (ByteLevel pre-tokenizer).
#include <array>
#include <string>

namespace emb::tokenizers {

/// UTF-8 of the character each byte maps to: printable Latin-1 bytes map to
/// themselves, the others to U+0100 onwards in byte order.
const std::array<std::string, 256>& byte_level_table();

}  // namespace emb::tokenizers

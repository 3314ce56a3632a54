#pragma once
// A string → id table for vocabularies: ids are dense (0, 1, 2, ... in order of
// insertion), keys live back to back in one buffer, and lookups use open
// addressing with linear probing over (hash, id) slots. Counting the tokens of
// a corpus is dominated by these lookups; std::unordered_map chases one heap
// node per entry and compares strings without a stored hash.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emb::text {

class TermTable {
 public:
  TermTable() { rehash(1024); }

  std::size_t size() const noexcept { return offsets_.size() - 1; }
  std::string_view term(std::int32_t id) const noexcept {
    const auto i = static_cast<std::size_t>(id);
    return {keys_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }

  /// Id of `term`, or -1.
  std::int32_t find(std::string_view term) const noexcept {
    const std::uint64_t h = hash(term);
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.id < 0) return -1;
      if (slot.hash == h && this->term(slot.id) == term) return slot.id;
    }
  }

  /// Id of `term`, inserting it with the next id when new.
  std::int32_t insert(std::string_view term) {
    const std::uint64_t h = hash(term);
    std::size_t s = h & mask_;
    for (;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.id < 0) break;
      if (slot.hash == h && this->term(slot.id) == term) return slot.id;
    }
    const auto id = static_cast<std::int32_t>(size());
    keys_.append(term);
    offsets_.push_back(keys_.size());
    slots_[s] = {h, id};
    if (2 * size() > slots_.size()) rehash(2 * slots_.size());
    return id;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::int32_t id = -1;
  };

  // FNV-1a with a final avalanche (tokens are short; low bits pick the slot).
  static std::uint64_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& slot : old) {
      if (slot.id < 0) continue;
      std::size_t s = slot.hash & mask_;
      while (slots_[s].id >= 0) s = (s + 1) & mask_;
      slots_[s] = slot;
    }
  }

  std::string keys_;
  std::vector<std::size_t> offsets_{0};
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace emb::text

#include "io/torch_checkpoint.h"

#include <zip.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::io {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Limits that keep a hostile file from exhausting memory or time. A real
// state dict's data.pkl is tens of kilobytes (some 20 objects per tensor)
// and nests three levels deep.
constexpr std::size_t kMaxPickleBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxObjects = std::size_t{1} << 22;
constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxDims = 16;
constexpr std::int64_t kMaxNumel = std::int64_t{1} << 48;
constexpr std::size_t kMaxGlobalLine = 256;
// Views of one storage may overlap (tied weights); their copies may add up to
// this many times the bytes of the storages before we call the file hostile.
constexpr std::uint64_t kMaxCopyRatio = 8;

constexpr std::string_view kAllowed =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and "
    "torch.*Storage";

std::optional<DType> storage_dtype(std::string_view name) {
  static const std::array<std::pair<std::string_view, DType>, 10> kStorages{{
      {"torch.DoubleStorage", DType::F64},
      {"torch.FloatStorage", DType::F32},
      {"torch.HalfStorage", DType::F16},
      {"torch.BFloat16Storage", DType::BF16},
      {"torch.LongStorage", DType::I64},
      {"torch.IntStorage", DType::I32},
      {"torch.ShortStorage", DType::I16},
      {"torch.CharStorage", DType::I8},
      {"torch.ByteStorage", DType::U8},
      {"torch.BoolStorage", DType::BOOL},
  }};
  for (const auto& [n, d] : kStorages)
    if (n == name) return d;
  return std::nullopt;
}

bool allowed_global(std::string_view name) {
  return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
         name == "torch._utils._rebuild_parameter" || storage_dtype(name).has_value();
}

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  std::int64_t i = 0;   // Bool, Int; Storage: numel; Tensor: storage offset
  std::string s;        // String; Global: "module.name"; Storage: key
  std::vector<std::size_t> items;  // Tuple, List; Dict: key, value, key, value, ...
  int depth = 0;
  DType dtype = DType::F32;  // Storage
  std::size_t storage = 0;   // Tensor: the Storage value
  std::vector<std::int64_t> size, stride;  // Tensor
};

std::string_view kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::String: return "str";
    case Value::Kind::Tuple: return "tuple";
    case Value::Kind::List: return "list";
    case Value::Kind::Dict: return "dict";
    case Value::Kind::Global: return "global";
    case Value::Kind::Storage: return "storage";
    case Value::Kind::Tensor: return "tensor";
  }
  return "?";
}

// A pickle machine restricted to what torch.save writes for a state dict
// (protocol 2, plus the few protocol-4 opcodes newer picklers emit). Every
// object lives in one arena and refers to others by index, so nothing is
// recursive: neither building, nor reading, nor freeing a deeply nested or
// self-referencing structure can exhaust the stack.
class Unpickler {
 public:
  Unpickler(std::string_view data, std::string where) : data_(data), where_(std::move(where)) {}

  std::size_t run() {
    while (true) {
      op_at_ = pos_;
      const std::uint8_t op = u8();
      switch (op) {
        case 0x80: {  // PROTO
          const std::uint8_t v = u8();
          if (v > 5) fail("pickle protocol ", int(v), " is unknown");
          break;
        }
        case 0x95: skip(8); break;  // FRAME: a length hint only
        case '}': push(make(Value::Kind::Dict)); break;
        case ']': push(make(Value::Kind::List)); break;
        case ')': push(make(Value::Kind::Tuple)); break;
        case '(':
          if (marks_.size() >= static_cast<std::size_t>(kMaxDepth)) fail("MARKs nested deeper than ", kMaxDepth);
          marks_.push_back(stack_.size());
          break;
        case 'X': push(string(u32())); break;         // BINUNICODE
        case 0x8c: push(string(u8())); break;         // SHORT_BINUNICODE
        case 'J': push(integer(static_cast<std::int32_t>(u32()))); break;  // BININT
        case 'K': push(integer(u8())); break;         // BININT1
        case 'M': push(integer(u16())); break;        // BININT2
        case 0x8a: push(integer(long1())); break;     // LONG1
        case 'G': push(floating()); break;            // BINFLOAT
        case 'N': push(make(Value::Kind::None)); break;
        case 0x88: push(boolean(true)); break;        // NEWTRUE
        case 0x89: push(boolean(false)); break;       // NEWFALSE
        case 'q': memo_[u8()] = top(); break;         // BINPUT
        case 'r': memo_[u32()] = top(); break;        // LONG_BINPUT
        case 0x94: memo_[static_cast<std::uint32_t>(memo_.size())] = top(); break;  // MEMOIZE
        case 'h': push(memo_get(u8())); break;        // BINGET
        case 'j': push(memo_get(u32())); break;       // LONG_BINGET
        case 't': push(tuple(pop_mark())); break;     // TUPLE
        case 0x85: push(tuple(pop_n(1))); break;      // TUPLE1
        case 0x86: push(tuple(pop_n(2))); break;      // TUPLE2
        case 0x87: push(tuple(pop_n(3))); break;      // TUPLE3
        case 'a': append(pop_n(1)); break;            // APPEND
        case 'e': append(pop_mark()); break;          // APPENDS
        case 's': set_items(pop_n(2)); break;         // SETITEM
        case 'u': set_items(pop_mark()); break;       // SETITEMS
        case 'c': {                                   // GLOBAL
          std::string module = line();
          push(global(module + "." + line()));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const auto mn = pop_n(2);
          if (at(mn[0]).kind != Value::Kind::String || at(mn[1]).kind != Value::Kind::String)
            fail("STACK_GLOBAL needs two strings");
          push(global(at(mn[0]).s + "." + at(mn[1]).s));
          break;
        }
        case 'R': {  // REDUCE
          const auto fa = pop_n(2);
          push(reduce(fa[0], fa[1]));
          break;
        }
        case 'b': {  // BUILD: OrderedDict's state (a state dict's _metadata), ignored
          pop_n(1);
          if (at(top()).kind != Value::Kind::Dict)
            fail("BUILD on a ", kind_name(at(top()).kind), " (only an OrderedDict's state is accepted)");
          break;
        }
        case 'Q': push(persistent(pop_n(1)[0])); break;  // BINPERSID
        case '.': return pop_n(1)[0];                     // STOP
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail("opcode ", hex, " is not one a torch state dict uses (a restricted unpickler reads only those)");
        }
      }
    }
  }

  const Value& at(std::size_t i) const { return values_[i]; }

 private:
  template <class... A>
  [[noreturn]] void fail(const A&... a) const {
    throw ModelLoadError(detail::concat(where_, ": byte ", op_at_, ": ", a...));
  }

  void need(std::size_t n) const {
    if (data_.size() - pos_ < n) fail("the pickle is truncated (", n, " more bytes needed, ", data_.size() - pos_, " left)");
  }
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint32_t le(std::size_t n) {
    need(n);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v |= std::uint32_t{static_cast<std::uint8_t>(data_[pos_ + k])} << (8 * k);
    pos_ += n;
    return v;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u32() { return le(4); }

  std::size_t make(Value::Kind kind) {
    if (values_.size() >= kMaxObjects) fail("the pickle builds more than ", kMaxObjects, " objects");
    values_.emplace_back();
    values_.back().kind = kind;
    return values_.size() - 1;
  }
  std::size_t integer(std::int64_t v) {
    const std::size_t i = make(Value::Kind::Int);
    values_[i].i = v;
    return i;
  }
  std::size_t boolean(bool v) {
    const std::size_t i = make(Value::Kind::Bool);
    values_[i].i = v;
    return i;
  }
  std::size_t string(std::size_t n) {
    need(n);
    const std::size_t i = make(Value::Kind::String);
    values_[i].s.assign(data_.substr(pos_, n));
    pos_ += n;
    return i;
  }
  std::int64_t long1() {
    const std::uint8_t n = u8();
    if (n > 8) fail("LONG1 of ", int(n), " bytes (at most 8 fit a tensor size)");
    need(n);
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v |= std::uint64_t{static_cast<std::uint8_t>(data_[pos_ + k])} << (8 * k);
    if (n > 0 && n < 8 && (static_cast<std::uint8_t>(data_[pos_ + n - 1]) & 0x80)) v |= ~std::uint64_t{0} << (8 * n);
    pos_ += n;
    return static_cast<std::int64_t>(v);
  }
  std::size_t floating() {
    skip(8);
    return make(Value::Kind::Float);  // no float reaches a tensor, so its value is never read
  }
  std::string line() {
    const auto end = data_.find('\n', pos_);
    if (end == std::string_view::npos) fail("the pickle is truncated inside a GLOBAL");
    if (end - pos_ > kMaxGlobalLine) fail("GLOBAL name longer than ", kMaxGlobalLine, " bytes");
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  std::size_t global(std::string name) {
    if (!allowed_global(name))
      fail("GLOBAL '", text_excerpt(name), "' is not allowed (a state dict needs only ", kAllowed,
           "); embetter never runs pickled code");
    const std::size_t i = make(Value::Kind::Global);
    values_[i].s = std::move(name);
    return i;
  }

  void push(std::size_t v) { stack_.push_back(v); }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::size_t top() const {
    if (stack_.size() <= floor()) fail("the pickle stack is empty");
    return stack_.back();
  }
  std::vector<std::size_t> pop_n(std::size_t n) {
    if (stack_.size() - floor() < n) fail("the pickle stack holds fewer than ", n, " values");
    std::vector<std::size_t> out(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return out;
  }
  std::vector<std::size_t> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    std::vector<std::size_t> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  std::size_t memo_get(std::uint32_t key) const {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo entry ", key, " was never stored");
    return it->second;
  }

  // Containers record how deep they nest, so a hostile pickle meets a clear
  // error long before anything could recurse on it.
  void adopt(std::size_t parent, const std::vector<std::size_t>& children) {
    int d = values_[parent].depth;
    for (const std::size_t c : children) d = std::max(d, values_[c].depth + 1);
    if (d > kMaxDepth) fail("containers nested deeper than ", kMaxDepth);
    values_[parent].depth = d;
    values_[parent].items.insert(values_[parent].items.end(), children.begin(), children.end());
  }
  std::size_t tuple(const std::vector<std::size_t>& items) {
    const std::size_t t = make(Value::Kind::Tuple);
    adopt(t, items);
    return t;
  }
  void append(const std::vector<std::size_t>& items) {
    const std::size_t list = top();
    if (at(list).kind != Value::Kind::List) fail("APPEND to a ", kind_name(at(list).kind));
    adopt(list, items);
  }
  void set_items(const std::vector<std::size_t>& items) {
    const std::size_t dict = top();
    if (at(dict).kind != Value::Kind::Dict) fail("SETITEM on a ", kind_name(at(dict).kind));
    if (items.size() % 2) fail("SETITEMS with an odd number of values");
    adopt(dict, items);
  }

  const Value& arg(const Value& args, std::size_t k, Value::Kind kind, std::string_view what) const {
    const Value& v = at(args.items[k]);
    if (v.kind != kind) fail(what, " is a ", kind_name(v.kind), "; expected a ", kind_name(kind));
    return v;
  }
  std::vector<std::int64_t> ints(const Value& tuple, std::string_view what) const {
    if (tuple.items.size() > kMaxDims) fail(what, " has ", tuple.items.size(), " dimensions (at most ", kMaxDims, ")");
    std::vector<std::int64_t> out;
    for (const std::size_t k : tuple.items) {
      if (at(k).kind != Value::Kind::Int || at(k).i < 0 || at(k).i > kMaxNumel)
        fail(what, " holds a ", kind_name(at(k).kind), " out of range (expected sizes in [0, 2^48])");
      out.push_back(at(k).i);
    }
    return out;
  }

  std::size_t reduce(std::size_t fn, std::size_t args_i) {
    const Value& f = at(fn);
    if (f.kind != Value::Kind::Global) fail("REDUCE calls a ", kind_name(f.kind));
    const Value& args = at(args_i);
    if (args.kind != Value::Kind::Tuple) fail("REDUCE of '", f.s, "' with a ", kind_name(args.kind), " of arguments");
    if (f.s == "collections.OrderedDict") {
      if (!args.items.empty()) fail("OrderedDict called with ", args.items.size(), " arguments (expected none)");
      return make(Value::Kind::Dict);
    }
    if (f.s == "torch._utils._rebuild_parameter") {
      if (args.items.size() != 3) fail("_rebuild_parameter with ", args.items.size(), " arguments (expected 3)");
      arg(args, 0, Value::Kind::Tensor, "_rebuild_parameter's data");
      return args.items[0];
    }
    if (f.s == "torch._utils._rebuild_tensor_v2") return tensor(args);
    fail("REDUCE of '", f.s, "' is not allowed (only OrderedDict, _rebuild_tensor_v2 and _rebuild_parameter)");
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  std::size_t tensor(const Value& args) {
    if (args.items.size() != 6 && args.items.size() != 7)
      fail("_rebuild_tensor_v2 with ", args.items.size(), " arguments (expected 6 or 7)");
    const Value& storage = arg(args, 0, Value::Kind::Storage, "_rebuild_tensor_v2's storage");
    const Value& offset = arg(args, 1, Value::Kind::Int, "_rebuild_tensor_v2's storage_offset");
    const auto size = ints(arg(args, 2, Value::Kind::Tuple, "_rebuild_tensor_v2's size"), "the size");
    const auto stride = ints(arg(args, 3, Value::Kind::Tuple, "_rebuild_tensor_v2's stride"), "the stride");
    if (size.size() != stride.size())
      fail("a tensor of size ", shape_text(size), " with stride ", shape_text(stride), " (ranks differ)");
    if (offset.i < 0 || offset.i > kMaxNumel) fail("storage_offset ", offset.i, " is out of range");
    // Every element must lie inside the storage: offset + Σ (size-1)·stride < numel.
    std::int64_t numel = 1, last = offset.i;
    for (const std::int64_t s : size)
      if (__builtin_mul_overflow(numel, s, &numel) || numel > kMaxNumel)
        fail("a tensor of size ", shape_text(size), " has too many elements");
    const bool empty = numel == 0;
    for (std::size_t d = 0; d < size.size() && !empty; ++d) {
      std::int64_t reach = 0;
      if (__builtin_mul_overflow(size[d] - 1, stride[d], &reach) || __builtin_add_overflow(last, reach, &last))
        fail("a tensor of size ", shape_text(size), " with stride ", shape_text(stride), " overflows");
    }
    if (!empty && last >= storage.i)
      fail("a tensor of size ", shape_text(size), ", stride ", shape_text(stride), " at offset ", offset.i,
           " reaches element ", last, " of storage '", storage.s, "', which holds ", storage.i);
    if (numel > storage.i && !empty)
      fail("a tensor of size ", shape_text(size), " repeats elements of storage '", storage.s,
           "' (stride 0; expanded views are not read)");
    const std::size_t storage_i = args.items[0];
    const std::int64_t offset_i = offset.i;
    const std::size_t t = make(Value::Kind::Tensor);
    Value& v = values_[t];
    v.storage = storage_i;
    v.i = offset_i;
    v.size = size;
    v.stride = stride;
    return t;
  }

  // ('storage', <storage class>, key, location, numel)
  std::size_t persistent(std::size_t pid_i) {
    const Value& pid = at(pid_i);
    if (pid.kind != Value::Kind::Tuple || pid.items.size() != 5)
      fail("persistent id is a ", kind_name(pid.kind), " of ", pid.items.size(),
           " values; expected ('storage', type, key, location, numel)");
    if (arg(pid, 0, Value::Kind::String, "the persistent id's tag").s != "storage")
      fail("persistent id tag '", text_excerpt(at(pid.items[0]).s), "' (expected 'storage')");
    const std::string& type = arg(pid, 1, Value::Kind::Global, "the storage type").s;
    const auto dtype = storage_dtype(type);
    if (!dtype) fail("storage type '", type, "' is not a storage class");
    std::string key = arg(pid, 2, Value::Kind::String, "the storage key").s;
    if (key.empty() || key.size() > 64 || !std::all_of(key.begin(), key.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        }))
      fail("storage key '", text_excerpt(key), "' (expected letters, digits or '_')");
    arg(pid, 3, Value::Kind::String, "the storage location");
    const std::int64_t numel = arg(pid, 4, Value::Kind::Int, "the storage size").i;
    if (numel < 0 || numel > kMaxNumel) fail("storage '", key, "' claims ", numel, " elements");
    const std::size_t s = make(Value::Kind::Storage);
    values_[s].dtype = *dtype;
    values_[s].s = std::move(key);
    values_[s].i = numel;
    return s;
  }

  std::string_view data_;
  std::string where_;
  std::size_t pos_ = 0, op_at_ = 0;
  std::deque<Value> values_;  // a deque: make() never moves the values references point at
  std::vector<std::size_t> stack_, marks_;
  std::unordered_map<std::uint32_t, std::size_t> memo_;
};

// ---- the zip archive ---------------------------------------------------------

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using Zip = std::unique_ptr<zip_t, ZipDiscard>;
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class Archive {
 public:
  /// `head`: the file's first bytes, to tell a damaged zip from another format.
  Archive(zip_source_t* src, std::string where, std::string_view head) : where_(std::move(where)) {
    zip_error_t err;
    zip_error_init(&err);
    zip_.reset(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
    if (!zip_) {
      const bool not_zip = zip_error_code_zip(&err) == ZIP_ER_NOZIP;
      std::string why = zip_error_strerror(&err);
      zip_error_fini(&err);
      zip_source_free(src);
      if (head.starts_with("PK\x03\x04"))
        throw ModelLoadError(where_ + ": a truncated or damaged zip archive (" + why + ")");
      if (not_zip && head.starts_with("\x80"))
        throw ModelLoadError(where_ +
                             ": not a zip archive; embetter reads torch.save's zip format (PyTorch >= 1.6), not the "
                             "legacy format: re-save it with a recent PyTorch, or as model.safetensors");
      throw ModelLoadError(where_ + ": not a readable zip archive (" + why + ")");
    }
    zip_error_fini(&err);
    const zip_int64_t n = zip_get_num_entries(zip_.get(), 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* name = zip_get_name(zip_.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
      if (!name) continue;
      const std::string_view s(name);
      const auto slash = s.find('/');
      if (slash != std::string_view::npos && s.substr(slash) == "/data.pkl") {
        prefix_ = std::string(s.substr(0, slash + 1));
        break;
      }
    }
    if (prefix_.empty())
      throw ModelLoadError(where_ + ": no <name>/data.pkl in the zip archive; is this a torch.save checkpoint?");
  }

  bool has(const std::string& rel) const { return zip_name_locate(zip_.get(), (prefix_ + rel).c_str(), 0) >= 0; }

  /// The entry's bytes; `expected` (if set) must be its exact size, `limit` caps what is read.
  std::string read(const std::string& rel, std::optional<std::uint64_t> expected, std::uint64_t limit) const {
    const std::string name = prefix_ + rel;
    const zip_int64_t idx = zip_name_locate(zip_.get(), name.c_str(), 0);
    if (idx < 0) throw ModelLoadError(where_ + ": the archive has no '" + text_excerpt(name) + "'");
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(idx), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw ModelLoadError(where_ + ": cannot stat '" + name + "'");
    if (expected && st.size != *expected)
      throw ModelLoadError(detail::concat(where_, ": '", name, "' holds ", st.size, " bytes; the pickle's storage needs ",
                                          *expected));
    if (st.size > limit)
      throw ModelLoadError(detail::concat(where_, ": '", name, "' is ", st.size, " bytes (at most ", limit, ")"));
    std::unique_ptr<zip_file_t, ZipFileClose> f(zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(idx), 0));
    if (!f) throw ModelLoadError(where_ + ": cannot open '" + name + "': " + zip_strerror(zip_.get()));
    // Grow with what actually arrives rather than trusting the stated size.
    std::string out;
    std::array<char, 1 << 16> chunk;
    while (true) {
      const zip_int64_t got = zip_fread(f.get(), chunk.data(), chunk.size());
      if (got < 0) throw ModelLoadError(where_ + ": reading '" + name + "': " + zip_file_strerror(f.get()));
      if (got == 0) break;
      out.append(chunk.data(), static_cast<std::size_t>(got));
      if (out.size() > st.size)
        throw ModelLoadError(where_ + ": '" + name + "' holds more bytes than its zip entry states");
    }
    if (out.size() != st.size)
      throw ModelLoadError(detail::concat(where_, ": '", name, "' is truncated (", out.size(), " of ", st.size,
                                          " bytes)"));
    return out;
  }

  const std::string& prefix() const { return prefix_; }

 private:
  std::string where_;
  Zip zip_;
  std::string prefix_;
};

// ---- state dict → safetensors bytes ------------------------------------------

struct Entry {
  std::string name;
  std::size_t tensor;
  std::uint64_t begin = 0, bytes = 0;
};

// Copies a strided view of `src` (elements of `es` bytes) into `dst`, row-major.
void gather(const char* src, char* dst, std::size_t es, std::int64_t offset, const std::vector<std::int64_t>& size,
            const std::vector<std::int64_t>& stride) {
  std::int64_t numel = 1;
  for (const auto s : size) numel *= s;
  if (numel == 0) return;
  bool contiguous = true;
  std::int64_t expect = 1;
  for (std::size_t d = size.size(); d-- > 0;) {
    if (size[d] != 1 && stride[d] != expect) contiguous = false;
    expect *= size[d];
  }
  if (contiguous) {
    std::memcpy(dst, src + offset * static_cast<std::int64_t>(es), static_cast<std::size_t>(numel) * es);
    return;
  }
  std::vector<std::int64_t> idx(size.size(), 0);
  std::int64_t at = offset;
  for (std::int64_t n = 0; n < numel; ++n) {
    std::memcpy(dst + n * static_cast<std::int64_t>(es), src + at * static_cast<std::int64_t>(es), es);
    for (std::size_t d = size.size(); d-- > 0;) {
      if (++idx[d] < size[d]) {
        at += stride[d];
        break;
      }
      at -= (size[d] - 1) * stride[d];
      idx[d] = 0;
    }
  }
}

SafetensorsFile read_archive(Archive& ar, const std::string& where, std::uint64_t archive_bytes) {
  if (ar.has("byteorder")) {
    const std::string order = ar.read("byteorder", std::nullopt, 16);
    if (order != "little")
      throw ModelLoadError(where + ": byteorder is '" + text_excerpt(order) +
                           "'; only little-endian checkpoints are read");
  }
  const std::string pickle = ar.read("data.pkl", std::nullopt, kMaxPickleBytes);
  Unpickler up(pickle, where + ": " + ar.prefix() + "data.pkl");
  const std::size_t root = up.run();
  const Value& dict = up.at(root);
  if (dict.kind != Value::Kind::Dict)
    throw ModelLoadError(where + ": the pickle holds a " + std::string(kind_name(dict.kind)) +
                         "; expected a state dict (names → tensors)");

  std::map<std::string, std::size_t> named;  // a later SETITEM wins, as in Python
  for (std::size_t k = 0; k + 1 < dict.items.size(); k += 2) {
    const Value& key = up.at(dict.items[k]);
    if (key.kind != Value::Kind::String)
      throw ModelLoadError(where + ": a state dict key is a " + std::string(kind_name(key.kind)) + "; expected a str");
    if (key.s == "__metadata__")
      throw ModelLoadError(where + ": a tensor named '__metadata__' (a name safetensors reserves)");
    const Value& v = up.at(dict.items[k + 1]);
    if (v.kind != Value::Kind::Tensor)
      throw ModelLoadError(where + ": '" + text_excerpt(key.s) + "' is a " + std::string(kind_name(v.kind)) +
                           ", not a tensor");
    named[key.s] = dict.items[k + 1];
  }

  // Storages by key; each is read once, whatever number of views it backs.
  struct Store {
    DType dtype;
    std::int64_t numel;
    std::vector<std::size_t> entries;
  };
  std::map<std::string, Store> stores;
  std::vector<Entry> entries;
  Json header = Json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::uint64_t total = 0, storage_bytes = 0;
  for (const auto& [name, ti] : named) {
    const Value& t = up.at(ti);
    const Value& s = up.at(t.storage);
    auto [it, fresh] = stores.try_emplace(s.s, Store{s.dtype, s.i, {}});
    if (!fresh && (it->second.dtype != s.dtype || it->second.numel != s.i))
      throw ModelLoadError(where + ": storage '" + s.s + "' is named with two different types or sizes");
    if (fresh) storage_bytes += static_cast<std::uint64_t>(s.i) * dtype_size(s.dtype);
    std::uint64_t numel = 1;
    for (const auto d : t.size) numel *= static_cast<std::uint64_t>(d);
    Entry e{name, ti, total, numel * dtype_size(s.dtype)};
    total += e.bytes;
    it->second.entries.push_back(entries.size());
    header[name] = {{"dtype", dtype_name(s.dtype)}, {"shape", t.size}, {"data_offsets", {e.begin, e.begin + e.bytes}}};
    entries.push_back(std::move(e));
  }
  if (total > kMaxCopyRatio * storage_bytes + (std::uint64_t{1} << 20))
    throw ModelLoadError(detail::concat(where, ": the tensors add up to ", total, " bytes, more than ", kMaxCopyRatio,
                                        " times the ", storage_bytes, " bytes of their storages"));
  if (storage_bytes > archive_bytes * 1100 + (std::uint64_t{1} << 20))
    throw ModelLoadError(detail::concat(where, ": the storages claim ", storage_bytes,
                                        " bytes, more than an archive of ", archive_bytes, " bytes can hold"));

  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception&) {
    throw ModelLoadError(where + ": a tensor name is not valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8 + text.size() + total, '\0');
  for (std::size_t k = 0; k < 8; ++k) out[k] = static_cast<char>((std::uint64_t{text.size()} >> (8 * k)) & 0xff);
  std::memcpy(out.data() + 8, text.data(), text.size());
  char* data = out.data() + 8 + text.size();
  for (const auto& [key, store] : stores) {
    const std::size_t es = dtype_size(store.dtype);
    const std::string bytes = ar.read("data/" + key, static_cast<std::uint64_t>(store.numel) * es, storage_bytes);
    for (const std::size_t k : store.entries) {
      const Value& t = up.at(entries[k].tensor);
      gather(bytes.data(), data + entries[k].begin, es, t.i, t.size, t.stride);
    }
  }
  return open_safetensors_bytes(std::move(out), where);
}

}  // namespace

SafetensorsFile read_torch_checkpoint(const fs::path& path) {
  const std::string where = path.string();
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec) throw ModelLoadError(where + ": cannot read (" + ec.message() + ")");
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_file_create(where.c_str(), 0, -1, &err);
  if (!src) {
    std::string why = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw ModelLoadError(where + ": cannot open (" + why + ")");
  }
  zip_error_fini(&err);
  std::string head(4, '\0');
  std::ifstream(path, std::ios::binary).read(head.data(), 4);
  Archive ar(src, where, head);
  return read_archive(ar, where, bytes);
}

SafetensorsFile read_torch_checkpoint_bytes(std::string bytes, const fs::path& name) {
  const std::string where = name.string();
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) {
    zip_error_fini(&err);
    throw ModelLoadError(where + ": out of memory opening the archive");
  }
  zip_error_fini(&err);
  Archive ar(src, where, std::string_view(bytes).substr(0, 4));
  return read_archive(ar, where, bytes.size());
}

SafetensorsFile open_weights_file(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".bin" || ext == ".pt" || ext == ".pth") return read_torch_checkpoint(path);
  return SafetensorsFile::open(path);
}

}  // namespace emb::io

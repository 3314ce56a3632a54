#include "nn/encoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <string>

#include "embetter/error.h"

namespace emb::nn {
namespace {

void check_shape(const Matrix& m, std::size_t rows, std::size_t cols, const char* what) {
  EMB_CHECK(m.rows() == rows && m.cols() == cols, "TransformerEncoder: ", what, " is ", m.rows(), "x", m.cols(),
            ", expected ", rows, "x", cols);
}
void check_size(const std::vector<float>& v, std::size_t n, const char* what) {
  EMB_CHECK(v.size() == n, "TransformerEncoder: ", what, " has ", v.size(), " values, expected ", n);
}
void check_linear(const Linear& l, std::size_t out, std::size_t in, const char* what) {
  check_shape(l.weight, out, in, what);
  check_size(l.bias, out, what);
}

}  // namespace

std::size_t relative_position_bucket(std::int64_t relative, std::size_t num_buckets, std::size_t max_distance) {
  // transformers: n = −relative; half the buckets for keys after the query;
  // exact buckets below max_exact, then logarithmic up to max_distance.
  const std::size_t half = num_buckets / 2;
  const std::size_t max_exact = half / 2;
  std::size_t bucket = relative > 0 ? half : 0;
  const auto d = static_cast<std::size_t>(relative < 0 ? -relative : relative);
  if (d < max_exact) return bucket + d;
  // PyTorch evaluates log(d / max_exact) / log(max_distance / max_exact) ·
  // (half − max_exact) in float32, and with its correctly rounded logf the
  // value is exact where the true value is an integer (d = 16, 32, 64, 128
  // for the usual 32 buckets and 128). A plain float or double evaluation can
  // land just below that integer and truncate to the bucket before, so we
  // evaluate in long double and snap values within 1e-9 of an integer to it.
  const long double x = std::log(static_cast<long double>(d) / static_cast<long double>(max_exact)) /
                        std::log(static_cast<long double>(max_distance) / static_cast<long double>(max_exact)) *
                        static_cast<long double>(half - max_exact);
  const long double nearest = std::round(x);
  const long double snapped = std::fabs(x - nearest) < 1e-9L ? nearest : std::floor(x);
  const auto large = max_exact + static_cast<std::size_t>(snapped);
  return bucket + std::min(large, half - 1);
}

Matrix sinusoidal_position_table(std::size_t positions, std::size_t dim) {
  Matrix table(positions, dim);
  for (std::size_t p = 0; p < positions; ++p)
    for (std::size_t j = 0; j < dim; ++j) {
      // Computed in double then rounded, as numpy does before the float copy.
      const double angle = static_cast<double>(p) / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / dim);
      table(p, j) = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return table;
}

TransformerEncoder::TransformerEncoder(EncoderConfig config, EncoderWeights weights)
    : config_(config), weights_(std::move(weights)) {
  static std::atomic<std::uint64_t> encoders{0};
  instance_ = ++encoders;
  const auto& c = config_;
  const std::size_t h = c.hidden_size;
  EMB_CHECK(h > 0 && c.num_heads > 0 && h % c.num_heads == 0, "TransformerEncoder: hidden size ", h,
            " is not a multiple of the number of heads ", c.num_heads);
  EMB_CHECK(c.max_tokens() > 0, "TransformerEncoder: max_position_embeddings ", c.max_position_embeddings,
            " leaves no positions after the padding offset");
  check_shape(weights_.word_embeddings, c.vocab_size, h, "word embeddings");
  check_shape(weights_.position_embeddings, c.max_position_embeddings, h, "position embeddings");
  if (c.token_type_embeddings) check_size(weights_.token_type_embedding, h, "token type embedding");
  check_size(weights_.embedding_norm.gamma, h, "embedding LayerNorm weight");
  check_size(weights_.embedding_norm.beta, h, "embedding LayerNorm bias");
  EMB_CHECK(weights_.layers.size() == c.num_layers, "TransformerEncoder: ", weights_.layers.size(),
            " layers given, config says ", c.num_layers);
  for (const auto& l : weights_.layers) {
    check_linear(l.qkv, 3 * h, h, "query/key/value projection");
    check_linear(l.attention_output, h, h, "attention output");
    check_size(l.attention_norm.gamma, h, "attention LayerNorm weight");
    check_size(l.attention_norm.beta, h, "attention LayerNorm bias");
    check_linear(l.intermediate, c.intermediate_size, h, "intermediate");
    check_linear(l.output, h, c.intermediate_size, "output");
    check_size(l.output_norm.gamma, h, "output LayerNorm weight");
    check_size(l.output_norm.beta, h, "output LayerNorm bias");
  }
  // Packed once; the row-major copies are released (they would double the
  // memory the model takes).
  // All of them in one arena (huge pages; see PackedArena).
  std::size_t packed_bytes = 0;
  for (const auto& l : weights_.layers)
    for (const Linear* lin : {&l.qkv, &l.attention_output, &l.intermediate, &l.output})
      packed_bytes += PackedWeights::bytes_for(lin->out_features(), lin->in_features());
  std::optional<PackedArena> arena;
  if (c.precision != Precision::Int8) arena.emplace(packed_bytes);   // (W' takes the first qkv's place)
  const bool first_by_word =
      !weights_.layers.empty() && c.max_position_embeddings * 3 * h * sizeof(float) <= kFirstProjectionBytes;
  if (first_by_word) first_ = first_projection(weights_, c.max_position_embeddings, arena ? &*arena : nullptr);
  packed_.reserve(weights_.layers.size());
  for (auto& l : weights_.layers) {
    auto pack = [&](Linear& lin) {
      if (first_by_word && &lin == &weights_.layers.front().qkv) {
        lin.weight = Matrix();
        return Product{};
      }
      Product p;
      if (c.precision == Precision::Int8)
        p.i8 = QuantizedWeights(lin.weight.data(), lin.out_features(), lin.in_features());
      else
        p.f32 = PackedWeights(lin.weight.data(), lin.out_features(), lin.in_features(), *arena);
      lin.weight = Matrix();
      return p;
    };
    packed_.push_back({pack(l.qkv), pack(l.attention_output), pack(l.intermediate), pack(l.output)});
  }
  if (c.relative_attention_buckets > 0) {
    check_shape(weights_.relative_attention_bias, c.relative_attention_buckets, c.num_heads,
                "relative attention bias");
    const auto n = static_cast<std::int64_t>(c.max_tokens());
    bucket_of_offset_.resize(static_cast<std::size_t>(2 * n - 1));
    for (std::int64_t rel = -(n - 1); rel <= n - 1; ++rel)
      bucket_of_offset_[static_cast<std::size_t>(rel + n - 1)] = static_cast<std::uint32_t>(
          relative_position_bucket(rel, c.relative_attention_buckets, c.relative_attention_max_distance));
  }
}

TransformerEncoder::FirstProjection TransformerEncoder::first_projection(const EncoderWeights& weights,
                                                                       std::size_t positions, PackedArena* arena) {
  const Linear& qkv = weights.layers.front().qkv;
  const std::size_t n = qkv.out_features(), h = qkv.in_features();
  const auto& gamma = weights.embedding_norm.gamma;
  const auto& beta = weights.embedding_norm.beta;
  FirstProjection f;
  Matrix scaled(n, h);
  f.column_sums.resize(n);
  f.offsets.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    double sum = 0.0, offset = qkv.bias[k];
    for (std::size_t j = 0; j < h; ++j) {
      scaled(k, j) = qkv.weight(k, j) * gamma[j];
      sum += scaled(k, j);
      offset += static_cast<double>(qkv.weight(k, j)) * beta[j];
    }
    f.column_sums[k] = static_cast<float>(sum);
    f.offsets[k] = static_cast<float>(offset);
  }
  f.words = arena ? PackedWeights(scaled.data(), n, h, *arena) : PackedWeights(scaled.data(), n, h);
  // Type 0 plus each position, summed as embedding_row sums word + type.
  Matrix rest(positions, h);
  const auto& type = weights.token_type_embedding;
  for (std::size_t p = 0; p < positions; ++p)
    for (std::size_t j = 0; j < h; ++j)
      rest(p, j) = type.empty() ? weights.position_embeddings(p, j) : type[j] + weights.position_embeddings(p, j);
  f.positions.resize(positions, n);
  gemm_packed(rest.data(), h, positions, f.words, f.positions.data(), n);
  return f;
}

// The first layer's query/key/value rows of every sequence (see
// FirstProjection), then each sequence's attention while its rows are in
// cache.
void TransformerEncoder::first_qkv(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws) const {
  const std::size_t h = config_.hidden_size, n = 3 * h;
  const std::size_t cache_rows = std::max<std::size_t>(ws.word_cache_bytes / (n * sizeof(float)), 1);
  auto& row_of = ws.word_row;
  if (ws.word_cache_encoder != instance_) {
    row_of.assign(config_.vocab_size, -1);
    ws.cached_words.clear();
    ws.word_cache_encoder = instance_;
  }
  auto collect_new_words = [&] {
    ws.new_words.clear();
    for (const auto& ids : sequences)
      for (const auto id : ids) {
        auto& row = row_of[static_cast<std::size_t>(id)];
        if (row >= 0) continue;
        row = static_cast<std::int32_t>(ws.cached_words.size() + ws.new_words.size());
        ws.new_words.push_back(id);
      }
  };
  collect_new_words();
  // Past the limit the cache starts over with this batch's words (which
  // are kept even if they alone pass it).
  if (ws.cached_words.size() + ws.new_words.size() > cache_rows && !ws.cached_words.empty()) {
    for (const auto* list : {&ws.cached_words, &ws.new_words})
      for (const auto id : *list) row_of[static_cast<std::size_t>(id)] = -1;
    ws.cached_words.clear();
    collect_new_words();
  }
  const std::size_t first = ws.cached_words.size(), added = ws.new_words.size();
  if (added > 0) {
    ws.gathered_words.resize(added, h);
    for (std::size_t i = 0; i < added; ++i) {
      const auto word = weights_.word_embeddings.row(static_cast<std::size_t>(ws.new_words[i]));
      std::copy(word.begin(), word.end(), ws.gathered_words.row(i).begin());
    }
    ws.word_products.resize((first + added) * n);
    gemm_packed(ws.gathered_words.data(), h, added, first_.words, ws.word_products.data() + first * n, n);
    ws.cached_words.insert(ws.cached_words.end(), ws.new_words.begin(), ws.new_words.end());
  }
  const float* sums = first_.column_sums.data();
  const float* offsets = first_.offsets.data();
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const auto& ids = sequences[i];
    positions_of(ids, ws.positions);
    for (std::size_t t = 0; t < ids.size(); ++t) {
      const std::size_t token = ws.offsets[i] + t;
      const auto word_row = static_cast<std::size_t>(row_of[static_cast<std::size_t>(ids[t])]);
      const float* word = ws.word_products.data() + word_row * n;
      const float* rest = first_.positions.row(static_cast<std::size_t>(ws.positions[t])).data();
      const float mean = ws.token_stats[2 * token], r = ws.token_stats[2 * token + 1];
      float* y = ws.qkv.row(token).data();
      for (std::size_t k = 0; k < n; ++k) y[k] = (word[k] + rest[k] - mean * sums[k]) * r + offsets[k];
    }
    attend(sequences, i, ws);
  }
}

void TransformerEncoder::positions_of(std::span<const std::int32_t> ids, std::vector<std::int32_t>& positions) const {
  const auto& c = config_;
  positions.resize(ids.size());
  if (c.padding_idx < 0) {
    for (std::size_t t = 0; t < ids.size(); ++t) positions[t] = static_cast<std::int32_t>(t);
  } else {
    std::int32_t counted = 0;
    for (std::size_t t = 0; t < ids.size(); ++t) {
      const bool pad = ids[t] == c.padding_idx;
      counted += pad ? 0 : 1;
      positions[t] = c.padding_idx + (pad ? 0 : counted);
    }
  }
}

void TransformerEncoder::embed(std::span<const std::int32_t> ids, Workspace& ws, float* out, float* stats) const {
  const auto& c = config_;
  const std::size_t h = c.hidden_size;
  positions_of(ids, ws.positions);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    const auto id = ids[t];
    EMB_CHECK(id >= 0 && static_cast<std::size_t>(id) < c.vocab_size, "TransformerEncoder: token id ", id,
              " at position ", t, " is outside the vocabulary of ", c.vocab_size);
    float* row = out + t * h;
    const float* word = weights_.word_embeddings.data() + static_cast<std::size_t>(id) * h;
    const float* pos = weights_.position_embeddings.data() + static_cast<std::size_t>(ws.positions[t]) * h;
    embedding_row(row, word, c.token_type_embeddings ? weights_.token_type_embedding.data() : nullptr, pos, h);
  }
  const auto& norm = weights_.embedding_norm;
  kernels::layer_norm(out, ids.size(), h, norm.gamma.data(), norm.beta.data(), c.layer_norm_eps, stats);
}

void TransformerEncoder::fill_position_bias(std::size_t tokens, Workspace& ws) const {
  const std::size_t heads = config_.num_heads;
  ws.position_bias.resize(heads, tokens * tokens);
  const auto n = static_cast<std::int64_t>(config_.max_tokens());
  const float* table = weights_.relative_attention_bias.data();
  for (std::size_t q = 0; q < tokens; ++q)
    for (std::size_t k = 0; k < tokens; ++k) {
      const auto rel = static_cast<std::int64_t>(k) - static_cast<std::int64_t>(q);
      const std::size_t bucket = bucket_of_offset_[static_cast<std::size_t>(rel + n - 1)];
      for (std::size_t hd = 0; hd < heads; ++hd) ws.position_bias(hd, q * tokens + k) = table[bucket * heads + hd];
    }
}

void TransformerEncoder::Product::run(const float* x, std::size_t ldx, std::size_t m, float* y, std::size_t ldy,
                                     const Epilogue& epilogue, RowBlockHook hook) const {
  if (i8.n() > 0)
    gemm_quantized(x, ldx, m, i8, y, ldy, epilogue, hook);
  else
    gemm_packed(x, ldx, m, f32, y, ldy, epilogue, hook);
}

void TransformerEncoder::forward(std::span<const std::int32_t> ids, Workspace& ws, Matrix& out) const {
  forward_batch(std::span(&ids, 1), ws, out);
}

namespace {

// Runs on each finished block of a product's rows (gemm.h), while the
// block is still in cache.
// Post-LayerNorm residual, as in BERT: x = LN(x + (y + bias)).
struct ResidualNormHook {
  float* x;
  const float* y;
  std::size_t cols;
  const float* bias;
  const LayerNormWeights* norm;
  float eps;
  static void run(void* self, std::size_t begin, std::size_t end) {
    const auto& h = *static_cast<ResidualNormHook*>(self);
    kernels::residual_layer_norm(h.x + begin * h.cols, h.y + begin * h.cols, h.bias, end - begin, h.cols,
                                 h.norm->gamma.data(), h.norm->beta.data(), h.eps);
  }
};

}  // namespace

void TransformerEncoder::attend(std::span<const std::span<const std::int32_t>> sequences, std::size_t i,
                                Workspace& ws) const {
  const auto& c = config_;
  const std::size_t h = c.hidden_size, t = sequences[i].size(), first = ws.offsets[i];
  const float* bias = nullptr;
  if (c.relative_attention_buckets > 0) {
    fill_position_bias(t, ws);
    bias = ws.position_bias.data();
  }
  self_attention(ws.qkv.data() + first * 3 * h, t, c.num_heads, h, bias, ws.scores, ws.context.data() + first * h);
}

// Runs on each finished block of the query/key/value product's rows: the
// attention of every sequence whose rows are all done by then, while they
// are still in L2, instead of all of them after the whole product (a run's
// ~450 rows of MiniLM's projections take 2 MB). With the AVX2 level's
// 320-row blocks (a run makes two), short texts at EMB_ISA=avx2 ran +0.65%
// to +1.8% over three interleaved sets of 6–8 rounds; the blocks without
// this hook, +0.1% and −0.3% (docs/benchmarks.md).
struct TransformerEncoder::AttentionHook {
  const TransformerEncoder* encoder;
  std::span<const std::span<const std::int32_t>> sequences;
  Workspace* ws;
  std::size_t next;   // the first sequence not attended yet
  static void run(void* self, std::size_t, std::size_t end) {
    auto& a = *static_cast<AttentionHook*>(self);
    for (; a.next < a.sequences.size() && a.ws->offsets[a.next + 1] <= end; ++a.next)
      a.encoder->attend(a.sequences, a.next, *a.ws);
  }
};

void TransformerEncoder::forward_batch(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws,
                                       Matrix& out) const {
  const auto& c = config_;
  const std::size_t h = c.hidden_size, inter = c.intermediate_size;
  ws.offsets.resize(sequences.size() + 1);
  ws.offsets[0] = 0;
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const auto& ids = sequences[i];
    EMB_CHECK(!ids.empty(), "TransformerEncoder: empty token sequence");
    EMB_CHECK(ids.size() <= c.max_tokens(), "TransformerEncoder: ", ids.size(), " tokens exceed the model's ",
              c.max_tokens(), " positions; truncate the input");
    ws.offsets[i + 1] = ws.offsets[i] + ids.size();
  }
  const std::size_t rows = ws.offsets.back();
  out.resize(rows, h);
  ws.token_stats.resize(2 * rows);
  for (std::size_t i = 0; i < sequences.size(); ++i)
    embed(sequences[i], ws, out.data() + ws.offsets[i] * h, ws.token_stats.data() + 2 * ws.offsets[i]);
  ws.qkv.resize(rows, 3 * h);
  ws.context.resize(rows, h);
  ws.projected.resize(rows, h);
  ws.intermediate.resize(rows, inter);
  for (std::size_t l = 0; l < packed_.size(); ++l) {
    const auto& layer = weights_.layers[l];
    const auto& packed = packed_[l];
    if (l == 0 && !first_.words.empty()) {
      first_qkv(sequences, ws);
    } else {
      AttentionHook attention{this, sequences, &ws, 0};
      packed.qkv.run(out.data(), h, rows, ws.qkv.data(), 3 * h, Epilogue{layer.qkv.bias.data()},
                     {&AttentionHook::run, &attention});
      AttentionHook::run(&attention, 0, rows);   // (a no-op: every product's last block ends at `rows`)
    }
    ResidualNormHook attention_norm{out.data(), ws.projected.data(), h, layer.attention_output.bias.data(),
                                    &layer.attention_norm, c.layer_norm_eps};
    packed.attention_output.run(ws.context.data(), h, rows, ws.projected.data(), h, Epilogue{},
                                {&ResidualNormHook::run, &attention_norm});
    packed.intermediate.run(out.data(), h, rows, ws.intermediate.data(), inter,
                            Epilogue{layer.intermediate.bias.data(), c.activation});
    ResidualNormHook output_norm{out.data(), ws.projected.data(), h, layer.output.bias.data(), &layer.output_norm,
                                 c.layer_norm_eps};
    packed.output.run(ws.intermediate.data(), inter, rows, ws.projected.data(), h, Epilogue{},
                      {&ResidualNormHook::run, &output_norm});
  }
}

}  // namespace emb::nn

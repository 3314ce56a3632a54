#include "train/body/sentence_body.h"

#include <algorithm>
#include <cctype>

#include "embetter/error.h"
#include "encoders/sentence_model.h"
#include "nn/weight_reader.h"
#include "train/body/layer_ops.h"
#include "core/parallel.h"

namespace emb::train::body {
namespace fs = std::filesystem;
namespace {

Matrix zeros_like(const Matrix& m) { return Matrix(m.rows(), m.cols()); }
std::vector<float> zeros_like(const std::vector<float>& v) { return std::vector<float>(v.size(), 0.0f); }
nn::Linear zeros_like(const nn::Linear& l) { return {zeros_like(l.weight), zeros_like(l.bias)}; }
nn::LayerNormWeights zeros_like(const nn::LayerNormWeights& n) { return {zeros_like(n.gamma), zeros_like(n.beta)}; }

nn::EncoderWeights zeros_like(const nn::EncoderWeights& w, bool positions) {
  nn::EncoderWeights g;
  g.word_embeddings = zeros_like(w.word_embeddings);
  if (positions) g.position_embeddings = zeros_like(w.position_embeddings);
  g.token_type_embedding = zeros_like(w.token_type_embedding);
  g.embedding_norm = zeros_like(w.embedding_norm);
  for (const auto& l : w.layers)
    g.layers.push_back({zeros_like(l.qkv), zeros_like(l.attention_output), zeros_like(l.attention_norm),
                        zeros_like(l.intermediate), zeros_like(l.output), zeros_like(l.output_norm)});
  g.relative_attention_bias = zeros_like(w.relative_attention_bias);
  return g;
}

// transformers' Trainer (get_decay_parameter_names) exempts LayerNorm modules
// and every name matching "bias", "layernorm", "rmsnorm", "(^|.)norm($|.)"
// or "_norm($|.)", lowercased; MPNet's relative_attention_bias.weight is
// exempt by the first.
bool trainer_decays(std::string name) {
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* part : {"bias", "layernorm", "rmsnorm"})
    if (name.find(part) != std::string::npos) return false;
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t end = std::min(name.find('.', begin), name.size());
    const std::string_view segment(name.data() + begin, end - begin);
    if (segment == "norm" || segment.ends_with("_norm")) return false;
    begin = end + 1;
  }
  return true;
}

std::string relative_file(const fs::path& file, const fs::path& folder) {
  return file.lexically_normal().lexically_relative(folder.lexically_normal()).generic_string();
}

// Where one sequence's tokens sit in the position table: 0, 1, … for BERT;
// RoBERTa's create_position_ids_from_input_ids otherwise (as nn::TransformerEncoder).
void fill_positions(std::span<const std::int32_t> ids, int padding_idx, std::int32_t* out) {
  std::int32_t counted = 0;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (padding_idx < 0) {
      out[t] = static_cast<std::int32_t>(t);
    } else {
      const bool pad = ids[t] == padding_idx;
      counted += pad ? 0 : 1;
      out[t] = padding_idx + (pad ? 0 : counted);
    }
  }
}

void check_probability(float p, const char* what) {
  EMB_CHECK(p >= 0.f && p <= 1.f, "SentenceBody::forward: ", what, " dropout ", p,
            " is not a probability in [0, 1]");
}

// The element-wise steps over whole batches, one contiguous chunk per thread
// (core/parallel.h): at 2 threads, running them on one thread left the other idle
// for a fifth of each training step.
constexpr std::size_t kMinChunk = std::size_t{1} << 15;   // values per thread, at least

void activate_all(const float* x, std::size_t n, nn::Activation act, float* y) {
  for_each_chunk(n, kMinChunk, [&](std::size_t b, std::size_t e) { activate(x + b, e - b, act, y + b); });
}
void activation_backward_all(const float* x, std::size_t n, nn::Activation act, float* dy) {
  for_each_chunk(n, kMinChunk, [&](std::size_t b, std::size_t e) { activation_backward(x + b, e - b, act, dy + b); });
}
void normalize_all(float* x, std::size_t rows, std::size_t cols, float eps, float* rstd) {
  for_each_chunk(rows, kMinChunk / cols + 1, [&](std::size_t b, std::size_t e) {
    normalize_rows(x + b * cols, e - b, cols, eps, rstd + b);
  });
}
void affine_all(const float* x_hat, std::size_t rows, std::size_t cols, const float* gamma, const float* beta,
                float* y) {
  for_each_chunk(rows, kMinChunk / cols + 1, [&](std::size_t b, std::size_t e) {
    affine(x_hat + b * cols, e - b, cols, gamma, beta, y + b * cols);
  });
}
// The masks are indexed from the tensor's first value, so chunks see the same ones.
void dropout_all(const DropoutMask& mask, float* x, std::size_t n) {
  for_each_chunk(n, kMinChunk, [&](std::size_t b, std::size_t e) { mask.apply(x + b, e - b, b); });
}

}  // namespace

SentenceBody SentenceBody::load(const fs::path& folder) {
  encoders::SentenceModules modules = encoders::read_sentence_modules(folder);
  // The trained folder is written by patching the safetensors files in place
  // (folder_writer.h); a pytorch_model.bin has none to patch.
  const auto require_safetensors = [&](const fs::path& weights) {
    EMB_CHECK_AS(NotSupportedError, weights.extension() == ".safetensors", weights.string(),
                 ": finetuning reads and writes model.safetensors; this folder has only pytorch_model.bin. "
                 "Load and save it once as safetensors (Python: SentenceTransformer(path).save(path, "
                 "safe_serialization=True)), then finetune that folder");
  };
  require_safetensors(modules.transformer_weights);
  for (const auto& s : modules.steps)
    if (!s.normalize) require_safetensors(encoders::find_weights(s.folder, "Dense"));
  SentenceBody b;
  b.spec_ = std::move(modules.spec);
  nn::WeightReader reader(modules.transformer_weights);
  b.weights_ = models::read_encoder_weights(reader, b.spec_, &b.names_);
  b.positions_trainable_ = !b.spec_.sinusoidal_positions;
  b.grads_ = zeros_like(b.weights_, b.positions_trainable_);
  b.transformer_file_ = relative_file(modules.transformer_weights, folder);
  b.pooling_ = std::move(modules.pooling);
  for (auto& s : modules.steps) {
    HeadStep step;
    step.normalize = s.normalize;
    step.activation = s.activation;
    step.grad = zeros_like(s.dense);
    step.dense = std::move(s.dense);
    b.steps_.push_back(std::move(step));
    b.step_files_.push_back(s.normalize ? "" : relative_file(s.folder / "model.safetensors", folder));
  }
  const auto& c = b.spec_.config;
  if (c.relative_attention_buckets > 0) {
    const auto n = static_cast<std::int64_t>(c.max_tokens());
    b.bucket_of_offset_.resize(static_cast<std::size_t>(2 * n - 1));
    for (std::int64_t rel = -(n - 1); rel <= n - 1; ++rel)
      b.bucket_of_offset_[static_cast<std::size_t>(rel + n - 1)] = static_cast<std::uint32_t>(
          nn::relative_position_bucket(rel, c.relative_attention_buckets, c.relative_attention_max_distance));
  }
  b.dim_ = modules.dim;
  b.max_seq_length_ = modules.max_seq_length;
  return b;
}

std::vector<ParameterRef> SentenceBody::parameters() {
  const auto& c = spec_.config;
  const auto h = static_cast<std::int64_t>(c.hidden_size);
  std::vector<ParameterRef> refs;
  auto add = [&](const std::string& file, const std::string& name, std::vector<std::int64_t> shape,
                 std::size_t offset, float* values, float* grad, std::size_t n, bool norm) {
    refs.push_back({file, name, std::move(shape), offset, {values, n}, {grad, n}, !norm && trainer_decays(name)});
  };
  auto add_matrix = [&](const std::string& name, Matrix& w, Matrix& g) {
    add(transformer_file_, name, {static_cast<std::int64_t>(w.rows()), static_cast<std::int64_t>(w.cols())}, 0,
        w.data(), g.data(), w.size(), false);
  };
  auto add_vector = [&](const std::string& name, std::vector<float>& w, std::vector<float>& g, bool norm) {
    add(transformer_file_, name, {static_cast<std::int64_t>(w.size())}, 0, w.data(), g.data(), w.size(), norm);
  };
  auto add_linear = [&](const models::LinearNames& n, nn::Linear& w, nn::Linear& g) {
    add_matrix(n.weight, w.weight, g.weight);
    add_vector(n.bias, w.bias, g.bias, false);
  };
  auto add_norm = [&](const models::LinearNames& n, nn::LayerNormWeights& w, nn::LayerNormWeights& g) {
    add_vector(n.weight, w.gamma, g.gamma, true);
    add_vector(n.bias, w.beta, g.beta, true);
  };

  add_matrix(names_.word_embeddings, weights_.word_embeddings, grads_.word_embeddings);
  if (positions_trainable_)
    add_matrix(names_.position_embeddings, weights_.position_embeddings, grads_.position_embeddings);
  if (c.token_type_embeddings)
    // Row 0 of the table: the only one single texts use.
    add(transformer_file_, names_.token_type_embeddings, {static_cast<std::int64_t>(spec_.type_vocab_size), h}, 0,
        weights_.token_type_embedding.data(), grads_.token_type_embedding.data(), c.hidden_size, false);
  add_norm(names_.embedding_norm, weights_.embedding_norm, grads_.embedding_norm);
  const std::size_t hh = c.hidden_size * c.hidden_size;
  for (std::size_t l = 0; l < weights_.layers.size(); ++l) {
    auto& w = weights_.layers[l];
    auto& g = grads_.layers[l];
    const auto& n = names_.layers[l];
    // Query, key and value: rows of the stacked matrix, three checkpoint tensors.
    const models::LinearNames* qkv[] = {&n.query, &n.key, &n.value};
    for (std::size_t p = 0; p < 3; ++p) {
      add(transformer_file_, qkv[p]->weight, {h, h}, 0, w.qkv.weight.data() + p * hh, g.qkv.weight.data() + p * hh,
          hh, false);
      add(transformer_file_, qkv[p]->bias, {h}, 0, w.qkv.bias.data() + p * c.hidden_size,
          g.qkv.bias.data() + p * c.hidden_size, c.hidden_size, false);
    }
    add_linear(n.attention_output, w.attention_output, g.attention_output);
    add_norm(n.attention_norm, w.attention_norm, g.attention_norm);
    add_linear(n.intermediate, w.intermediate, g.intermediate);
    add_linear(n.output, w.output, g.output);
    add_norm(n.output_norm, w.output_norm, g.output_norm);
  }
  if (c.relative_attention_buckets > 0)
    add_matrix(names_.relative_attention_bias, weights_.relative_attention_bias, grads_.relative_attention_bias);
  for (std::size_t s = 0; s < steps_.size(); ++s) {
    auto& step = steps_[s];
    if (step.normalize) continue;
    auto& w = step.dense;
    add(step_files_[s], "linear.weight",
        {static_cast<std::int64_t>(w.out_features()), static_cast<std::int64_t>(w.in_features())}, 0,
        w.weight.data(), step.grad.weight.data(), w.weight.size(), false);
    if (!w.bias.empty())
      add(step_files_[s], "linear.bias", {static_cast<std::int64_t>(w.bias.size())}, 0, w.bias.data(),
          step.grad.bias.data(), w.bias.size(), false);
  }
  return refs;
}

void SentenceBody::zero_grad() {
  for (const auto& p : parameters()) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
}

DropoutMask SentenceBody::hidden_mask(const Tape& tape, DropoutSite site, std::size_t layer) const {
  return DropoutMask(tape.dropout_.seed, site, layer, tape.dropout_.hidden);
}

AttentionBatch SentenceBody::attention_batch(std::size_t l, const Tape& tape) const {
  const auto& c = spec_.config;
  AttentionBatch b;
  b.hidden = c.hidden_size;
  b.heads = c.num_heads;
  b.offsets = tape.offsets_;
  if (c.relative_attention_buckets > 0) {
    b.bias_table = weights_.relative_attention_bias.data();
    b.bucket_of_offset = bucket_of_offset_.data();
    b.buckets = c.relative_attention_buckets;
    b.max_tokens = c.max_tokens();
  }
  b.dropout = DropoutMask(tape.dropout_.seed, DropoutSite::AttentionProbs, l, tape.dropout_.attention);
  b.probability_offsets = tape.probability_offsets_;
  return b;
}

// ---- forward ----

void SentenceBody::forward(std::span<const std::span<const std::int32_t>> sequences, const Dropout* dropout,
                           Tape& tape, Matrix& embeddings) const {
  EMB_CHECK(!sequences.empty(), "SentenceBody::forward: no sequences (a batch needs at least one)");
  if (dropout) {
    check_probability(dropout->hidden, "hidden");
    check_probability(dropout->attention, "attention");
  }
  tape.offsets_.clear();   // an invalid tape until forward completes
  embed(sequences, dropout, tape);
  for (std::size_t l = 0; l < spec_.config.num_layers; ++l) layer_forward(l, tape);
  head_forward(tape.hidden_state_.data(), spec_.config.hidden_size, tape.offsets_, pooling_, steps_, tape.head_,
               embeddings);
  tape.hidden_ = spec_.config.hidden_size;
  tape.layer_count_ = spec_.config.num_layers;
  tape.dim_ = dim_;
}

void SentenceBody::embed(std::span<const std::span<const std::int32_t>> sequences, const Dropout* dropout,
                         Tape& tape) const {
  const auto& c = spec_.config;
  const std::size_t h = c.hidden_size;
  std::vector<std::size_t> offsets(sequences.size() + 1, 0);
  tape.probability_offsets_.assign(sequences.size(), 0);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const auto& ids = sequences[i];
    EMB_CHECK(!ids.empty(), "SentenceBody::forward: sequence ", i, " is empty (every sequence needs a token)");
    EMB_CHECK(ids.size() <= c.max_tokens(), "SentenceBody::forward: sequence ", i, " has ", ids.size(),
              " tokens, more than the model's ", c.max_tokens(), " positions; truncate it");
    for (std::size_t t = 0; t < ids.size(); ++t)
      EMB_CHECK(ids[t] >= 0 && static_cast<std::size_t>(ids[t]) < c.vocab_size, "SentenceBody::forward: token id ",
                ids[t], " at position ", t, " of sequence ", i, " is outside the vocabulary of ", c.vocab_size);
    offsets[i + 1] = offsets[i] + ids.size();
    if (i + 1 < sequences.size())
      tape.probability_offsets_[i + 1] = tape.probability_offsets_[i] + c.num_heads * ids.size() * ids.size();
  }
  const std::size_t rows = offsets.back();
  tape.dropout_ = dropout ? *dropout : Dropout{};
  tape.ids_.resize(rows);
  tape.positions_.resize(rows);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    std::copy(sequences[i].begin(), sequences[i].end(), tape.ids_.begin() + static_cast<std::ptrdiff_t>(offsets[i]));
    fill_positions(sequences[i], c.padding_idx, tape.positions_.data() + offsets[i]);
  }
  tape.norm0_.resize(rows, h);
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = tape.norm0_.data() + r * h;
    const float* word = weights_.word_embeddings.data() + static_cast<std::size_t>(tape.ids_[r]) * h;
    const float* pos = weights_.position_embeddings.data() + static_cast<std::size_t>(tape.positions_[r]) * h;
    nn::embedding_row(row, word, c.token_type_embeddings ? weights_.token_type_embedding.data() : nullptr, pos, h);
  }
  tape.rstd0_.resize(rows);
  normalize_all(tape.norm0_.data(), rows, h, c.layer_norm_eps, tape.rstd0_.data());
  tape.offsets_ = std::move(offsets);
  tape.layers_.resize(c.num_layers);
  tape.hidden_state_.resize(rows, h);
  layer_input(0, tape, tape.hidden_state_.data());
}

// The input of layer l: the embeddings (after their dropout) or layer l − 1's
// output, rebuilt from the LayerNorm's x̂ exactly as forward built it.
void SentenceBody::layer_input(std::size_t l, const Tape& tape, float* out) const {
  const std::size_t rows = tape.offsets_.back(), h = spec_.config.hidden_size;
  if (l == 0) {
    const auto& norm = weights_.embedding_norm;
    affine_all(tape.norm0_.data(), rows, h, norm.gamma.data(), norm.beta.data(), out);
    const DropoutMask mask = hidden_mask(tape, DropoutSite::Embeddings, 0);
    if (mask.active()) dropout_all(mask, out, rows * h);
  } else {
    const auto& norm = weights_.layers[l - 1].output_norm;
    affine_all(tape.layers_[l - 1].norm2.data(), rows, h, norm.gamma.data(), norm.beta.data(), out);
  }
}

void SentenceBody::layer_forward(std::size_t l, Tape& tape) const {
  const auto& c = spec_.config;
  const auto& w = weights_.layers[l];
  auto& saved = tape.layers_[l];
  const std::size_t rows = tape.offsets_.back(), h = c.hidden_size, inter = c.intermediate_size;
  float* x = tape.hidden_state_.data();

  saved.qkv.resize(rows, 3 * h);
  gemm(false, true, rows, 3 * h, h, 1.0f, x, h, w.qkv.weight.data(), h, 0.0f, saved.qkv.data(), 3 * h);
  add_bias(saved.qkv.data(), rows, 3 * h, w.qkv.bias.data());
  tape.context_.resize(rows, h);
  attention_forward(attention_batch(l, tape), saved.qkv.data(), tape.context_.data(), tape.attention_);

  // Post-LayerNorm residual blocks: x ← LN(x + dropout(y + bias)).
  auto residual_block = [&](const nn::Linear& out_proj, const float* in, std::size_t in_cols, DropoutSite site,
                            bool dropout, const nn::LayerNormWeights& norm, Matrix& x_hat,
                            std::vector<float>& rstd) {
    tape.projected_.resize(rows, h);
    float* y = tape.projected_.data();
    gemm(false, true, rows, h, in_cols, 1.0f, in, in_cols, out_proj.weight.data(), in_cols, 0.0f, y, h);
    add_bias(y, rows, h, out_proj.bias.data());
    const DropoutMask mask = hidden_mask(tape, site, l);
    if (dropout && mask.active()) dropout_all(mask, y, rows * h);
    x_hat.resize(rows, h);
    for (std::size_t i = 0; i < rows * h; ++i) x_hat.data()[i] = x[i] + y[i];
    rstd.resize(rows);
    normalize_all(x_hat.data(), rows, h, c.layer_norm_eps, rstd.data());
    affine_all(x_hat.data(), rows, h, norm.gamma.data(), norm.beta.data(), x);
  };
  residual_block(w.attention_output, tape.context_.data(), h, DropoutSite::AttentionOutput,
                 spec_.attention_output_dropout, w.attention_norm, saved.norm1, saved.rstd1);

  saved.inter.resize(rows, inter);
  gemm(false, true, rows, inter, h, 1.0f, x, h, w.intermediate.weight.data(), h, 0.0f, saved.inter.data(), inter);
  add_bias(saved.inter.data(), rows, inter, w.intermediate.bias.data());
  tape.ffn_.resize(rows, inter);
  activate_all(saved.inter.data(), saved.inter.size(), c.activation, tape.ffn_.data());
  residual_block(w.output, tape.ffn_.data(), inter, DropoutSite::FfnOutput, true, w.output_norm, saved.norm2,
                 saved.rstd2);
}

// ---- backward ----

void SentenceBody::backward(Tape& tape, const Matrix& d_embeddings) {
  const auto& c = spec_.config;
  EMB_CHECK(tape.sequences() > 0 && tape.hidden_ == c.hidden_size && tape.layer_count_ == c.num_layers &&
                tape.dim_ == dim_,
            "SentenceBody::backward: the tape holds no forward pass of this model (call forward first)");
  EMB_CHECK(d_embeddings.rows() == tape.sequences() && d_embeddings.cols() == dim_,
            "SentenceBody::backward: d_embeddings is ", d_embeddings.rows(), "x", d_embeddings.cols(),
            ", expected ", tape.sequences(), "x", dim_, " (the embeddings forward returned)");
  const std::size_t rows = tape.offsets_.back(), h = c.hidden_size;
  tape.d_hidden_.resize(rows, h);
  head_backward(d_embeddings, h, pooling_, steps_, tape.head_, tape.d_hidden_.data());
  for (std::size_t l = c.num_layers; l-- > 0;) layer_backward(l, tape);
  embedding_backward(tape);
}

void SentenceBody::layer_backward(std::size_t l, Tape& tape) {
  const auto& c = spec_.config;
  const auto& w = weights_.layers[l];
  auto& g = grads_.layers[l];
  const auto& saved = tape.layers_[l];
  const std::size_t rows = tape.offsets_.back(), h = c.hidden_size, inter = c.intermediate_size;
  tape.d_residual_.resize(rows, h);
  tape.d_projected_.resize(rows, h);
  tape.ffn_.resize(rows, inter);
  tape.input_.resize(rows, h);
  float* dr = tape.d_residual_.data();
  float* dp = tape.d_projected_.data();
  float* ffn = tape.ffn_.data();

  // From d(block output) through the LayerNorm, the residual's branch and its
  // dropout: dr = d(block input) so far, dp = d(projection output).
  auto norm_and_dropout = [&](const float* d_out, const Matrix& x_hat, const std::vector<float>& rstd,
                              const nn::LayerNormWeights& norm, nn::LayerNormWeights& d_norm, DropoutSite site,
                              bool dropout) {
    layer_norm_backward(d_out, x_hat.data(), rstd.data(), rows, h, norm.gamma.data(), d_norm.gamma.data(),
                        d_norm.beta.data(), dr);
    std::copy_n(dr, rows * h, dp);
    const DropoutMask mask = hidden_mask(tape, site, l);
    if (dropout && mask.active()) dropout_all(mask, dp, rows * h);
  };

  // Feed-forward block.
  norm_and_dropout(tape.d_hidden_.data(), saved.norm2, saved.rstd2, w.output_norm, g.output_norm,
                   DropoutSite::FfnOutput, true);
  add_column_sums(dp, rows, h, g.output.bias.data());
  activate_all(saved.inter.data(), saved.inter.size(), c.activation, ffn);
  gemm(true, false, h, inter, rows, 1.0f, dp, h, ffn, inter, 1.0f, g.output.weight.data(), inter);
  gemm(false, false, rows, inter, h, 1.0f, dp, h, w.output.weight.data(), inter, 0.0f, ffn, inter);
  activation_backward_all(saved.inter.data(), saved.inter.size(), c.activation, ffn);
  add_column_sums(ffn, rows, inter, g.intermediate.bias.data());
  affine_all(saved.norm1.data(), rows, h, w.attention_norm.gamma.data(), w.attention_norm.beta.data(),
         tape.input_.data());
  gemm(true, false, inter, h, rows, 1.0f, ffn, inter, tape.input_.data(), h, 1.0f, g.intermediate.weight.data(), h);
  gemm(false, false, rows, h, inter, 1.0f, ffn, inter, w.intermediate.weight.data(), h, 1.0f, dr, h);

  // Attention block: dr now holds d(attention block output).
  std::swap(tape.d_hidden_, tape.d_residual_);
  dr = tape.d_residual_.data();
  norm_and_dropout(tape.d_hidden_.data(), saved.norm1, saved.rstd1, w.attention_norm, g.attention_norm,
                   DropoutSite::AttentionOutput, spec_.attention_output_dropout);
  add_column_sums(dp, rows, h, g.attention_output.bias.data());
  tape.d_context_.resize(rows, h);
  gemm(false, false, rows, h, h, 1.0f, dp, h, w.attention_output.weight.data(), h, 0.0f, tape.d_context_.data(), h);
  tape.context_.resize(rows, h);
  tape.d_qkv_.resize(rows, 3 * h);
  float* d_bias_table = c.relative_attention_buckets > 0 ? grads_.relative_attention_bias.data() : nullptr;
  attention_backward(attention_batch(l, tape), saved.qkv.data(), tape.d_context_.data(), tape.context_.data(),
                     tape.d_qkv_.data(), d_bias_table, tape.attention_);
  gemm(true, false, h, h, rows, 1.0f, dp, h, tape.context_.data(), h, 1.0f, g.attention_output.weight.data(), h);
  add_column_sums(tape.d_qkv_.data(), rows, 3 * h, g.qkv.bias.data());
  layer_input(l, tape, tape.input_.data());
  gemm(true, false, 3 * h, h, rows, 1.0f, tape.d_qkv_.data(), 3 * h, tape.input_.data(), h, 1.0f,
       g.qkv.weight.data(), h);
  // d(layer input) = the residual's share + the projections'.
  gemm(false, false, rows, h, 3 * h, 1.0f, tape.d_qkv_.data(), 3 * h, w.qkv.weight.data(), h, 1.0f, dr, h);
  std::swap(tape.d_hidden_, tape.d_residual_);
}

void SentenceBody::embedding_backward(Tape& tape) {
  const auto& c = spec_.config;
  const std::size_t rows = tape.offsets_.back(), h = c.hidden_size;
  float* d = tape.d_hidden_.data();
  const DropoutMask mask = hidden_mask(tape, DropoutSite::Embeddings, 0);
  if (mask.active()) dropout_all(mask, d, rows * h);
  layer_norm_backward(d, tape.norm0_.data(), tape.rstd0_.data(), rows, h, weights_.embedding_norm.gamma.data(),
                      grads_.embedding_norm.gamma.data(), grads_.embedding_norm.beta.data(), d);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* dr = d + r * h;
    float* word = grads_.word_embeddings.data() + static_cast<std::size_t>(tape.ids_[r]) * h;
    for (std::size_t j = 0; j < h; ++j) word[j] += dr[j];
    if (positions_trainable_) {
      float* pos = grads_.position_embeddings.data() + static_cast<std::size_t>(tape.positions_[r]) * h;
      for (std::size_t j = 0; j < h; ++j) pos[j] += dr[j];
    }
    if (c.token_type_embeddings) {
      float* type = grads_.token_type_embedding.data();
      for (std::size_t j = 0; j < h; ++j) type[j] += dr[j];
    }
  }
}

}  // namespace emb::train::body

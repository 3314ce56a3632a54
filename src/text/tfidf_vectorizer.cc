#include <algorithm>
#include <cmath>
#include <numeric>

#include "embetter/error.h"
#include "embetter/tfidf.h"
#include "text/python_unicode.h"
#include "text/term_table.h"
#include "text/word_analyzer.h"

namespace emb {
namespace {

// Term counts in CSR layout (scikit-learn's CountVectorizer output).
struct TermCounts {
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> terms;
  std::vector<std::int32_t> counts;
};

[[noreturn]] void throw_invalid_utf8(const char* where, std::size_t index, std::string_view text) {
  std::u32string scratch;
  const std::size_t offset = text::decode_utf8(text, scratch);
  throw InvalidArgument(detail::concat(where, ": texts[", index, "] is not valid UTF-8 (invalid byte sequence at byte ",
                                       offset, "); expected UTF-8 text"));
}

// Counts the tokens of every text. `lookup(token)` returns the term id of a
// token or -1 to skip it; term ids must stay below the size `slots` grows to.
template <class Lookup>
TermCounts count_terms(const std::vector<std::string>& texts, bool lowercase, const char* where,
                       const ProgressFn& progress, Lookup&& lookup) {
  constexpr std::size_t kProgressEvery = 1024;
  TermCounts out;
  out.indptr.reserve(texts.size() + 1);
  text::WordAnalyzer analyzer(lowercase);
  std::vector<std::string_view> tokens;
  std::vector<std::int64_t> slot;  // term id → its position in `out` if seen in the current row
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i % kProgressEvery == 0 && i > 0) report_progress(progress, i, texts.size(), where);
    if (!analyzer.analyze(texts[i], tokens)) throw_invalid_utf8(where, i, texts[i]);
    const auto row_begin = static_cast<std::int64_t>(out.terms.size());
    for (std::string_view token : tokens) {
      const std::int32_t term = lookup(token);
      if (term < 0) continue;
      if (static_cast<std::size_t>(term) >= slot.size()) slot.resize(std::max<std::size_t>(2 * slot.size(), term + 1), -1);
      std::int64_t& at = slot[static_cast<std::size_t>(term)];
      if (at >= row_begin) {
        ++out.counts[static_cast<std::size_t>(at)];
      } else {
        at = static_cast<std::int64_t>(out.terms.size());
        out.terms.push_back(term);
        out.counts.push_back(1);
      }
    }
    out.indptr.push_back(static_cast<std::int64_t>(out.terms.size()));
  }
  return out;
}

// tf (or 1 + ln tf) × idf per stored count, then each row divided by its l2
// norm, in double as scikit-learn's TfidfTransformer does; columns sorted.
SparseMatrix weigh(const TermCounts& counts, std::size_t n_features, const TfidfParams& params,
                   const std::vector<float>& idf) {
  SparseMatrix out;
  out.rows = counts.indptr.size() - 1;
  out.cols = n_features;
  out.indptr = counts.indptr;
  out.indices.resize(counts.terms.size());
  out.values.resize(counts.terms.size());
  std::vector<std::pair<std::int32_t, std::int32_t>> row;
  std::vector<double> weights;
  for (std::size_t r = 0; r < out.rows; ++r) {
    const auto begin = static_cast<std::size_t>(counts.indptr[r]), end = static_cast<std::size_t>(counts.indptr[r + 1]);
    row.clear();
    for (std::size_t k = begin; k < end; ++k) row.emplace_back(counts.terms[k], counts.counts[k]);
    std::sort(row.begin(), row.end());
    weights.resize(row.size());
    double sum_squares = 0.0;
    for (std::size_t k = 0; k < row.size(); ++k) {
      double w = static_cast<double>(row[k].second);
      if (params.sublinear_tf) w = std::log(w) + 1.0;
      if (params.use_idf) w *= static_cast<double>(idf[static_cast<std::size_t>(row[k].first)]);
      weights[k] = w;
      sum_squares += w * w;
    }
    const double norm = sum_squares > 0.0 ? std::sqrt(sum_squares) : 1.0;
    for (std::size_t k = 0; k < row.size(); ++k) {
      out.indices[begin + k] = row[k].first;
      out.values[begin + k] = static_cast<float>(weights[k] / norm);
    }
  }
  return out;
}

void check_params(const TfidfParams& p) {
  EMB_CHECK(std::isfinite(p.min_df) && p.min_df >= 0.0 && (p.min_df < 1.0 || p.min_df == std::floor(p.min_df)),
            "TfidfVectorizer: min_df is ", p.min_df,
            "; expected a fraction in [0, 1) or a whole document count >= 1");
  EMB_CHECK(std::isfinite(p.max_df) && p.max_df >= 0.0 && (p.max_df <= 1.0 || p.max_df == std::floor(p.max_df)),
            "TfidfVectorizer: max_df is ", p.max_df,
            "; expected a fraction in [0, 1] or a whole document count > 1");
  EMB_CHECK(!p.max_features || *p.max_features >= 1, "TfidfVectorizer: max_features is 0; expected at least 1");
}

}  // namespace

TfidfVectorizer::TfidfVectorizer(TfidfParams params) : params_(std::move(params)) { check_params(params_); }

TfidfVectorizer& TfidfVectorizer::fit(const std::vector<std::string>& texts) {
  fit_transform(texts);
  return *this;
}

SparseMatrix TfidfVectorizer::fit_transform(const std::vector<std::string>& texts, const ProgressFn& progress) {
  EMB_CHECK(!texts.empty(), "TfidfVectorizer.fit: texts is empty; expected at least one text");

  // Count with ids in order of first appearance (sklearn's defaultdict vocabulary).
  text::TermTable seen;
  TermCounts counts = count_terms(texts, params_.lowercase, "TfidfVectorizer.fit", progress,
                                  [&](std::string_view token) { return seen.insert(token); });
  EMB_CHECK(seen.size() > 0, "TfidfVectorizer.fit: empty vocabulary; none of the ", texts.size(),
            " texts has a token of two or more word characters");
  std::vector<std::string_view> terms(seen.size());
  for (std::size_t t = 0; t < terms.size(); ++t) terms[t] = seen.term(static_cast<std::int32_t>(t));

  std::vector<std::int64_t> df(terms.size(), 0), tf(terms.size(), 0);
  for (std::size_t k = 0; k < counts.terms.size(); ++k) {
    ++df[static_cast<std::size_t>(counts.terms[k])];
    tf[static_cast<std::size_t>(counts.terms[k])] += counts.counts[k];
  }

  // Document-frequency bounds, as sklearn: fractions scale by the number of texts.
  const auto n_doc = static_cast<double>(texts.size());
  const double max_doc_count = params_.max_df <= 1.0 ? params_.max_df * n_doc : params_.max_df;
  const double min_doc_count = params_.min_df >= 1.0 ? params_.min_df : params_.min_df * n_doc;
  EMB_CHECK(max_doc_count >= min_doc_count, "TfidfVectorizer.fit: max_df (", params_.max_df, ") corresponds to ",
            max_doc_count, " documents, fewer than min_df (", params_.min_df, ") = ", min_doc_count);
  std::vector<std::int32_t> kept;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    const auto d = static_cast<double>(df[t]);
    if (d <= max_doc_count && d >= min_doc_count) kept.push_back(static_cast<std::int32_t>(t));
  }
  if (params_.max_features && kept.size() > *params_.max_features) {
    const auto limit = static_cast<std::ptrdiff_t>(*params_.max_features);
    std::partial_sort(kept.begin(), kept.begin() + limit, kept.end(), [&](std::int32_t a, std::int32_t b) {
      if (tf[a] != tf[b]) return tf[a] > tf[b];
      return terms[a] < terms[b];
    });
    kept.resize(static_cast<std::size_t>(limit));
  }
  EMB_CHECK(!kept.empty(), "TfidfVectorizer.fit: after pruning with min_df=", params_.min_df, " and max_df=",
            params_.max_df, " no terms remain; try a lower min_df or a higher max_df");

  // Sorted vocabulary; remap the counts onto it.
  std::sort(kept.begin(), kept.end(), [&](std::int32_t a, std::int32_t b) { return terms[a] < terms[b]; });
  std::vector<std::int32_t> column(terms.size(), -1);
  std::vector<std::string> names;
  std::vector<float> idf;
  names.reserve(kept.size());
  const double smooth = params_.smooth_idf ? 1.0 : 0.0;
  for (std::size_t c = 0; c < kept.size(); ++c) {
    const auto t = static_cast<std::size_t>(kept[c]);
    column[t] = static_cast<std::int32_t>(c);
    names.emplace_back(terms[t]);
    if (params_.use_idf) idf.push_back(static_cast<float>(std::log((n_doc + smooth) / (static_cast<double>(df[t]) + smooth)) + 1.0));
  }
  TermCounts remapped;
  remapped.indptr.reserve(counts.indptr.size());
  for (std::size_t r = 0; r + 1 < counts.indptr.size(); ++r) {
    for (auto k = counts.indptr[r]; k < counts.indptr[r + 1]; ++k) {
      const std::int32_t c = column[static_cast<std::size_t>(counts.terms[static_cast<std::size_t>(k)])];
      if (c < 0) continue;
      remapped.terms.push_back(c);
      remapped.counts.push_back(counts.counts[static_cast<std::size_t>(k)]);
    }
    remapped.indptr.push_back(static_cast<std::int64_t>(remapped.terms.size()));
  }

  feature_names_ = std::move(names);
  idf_ = std::move(idf);
  build_index();
  return weigh(remapped, feature_names_.size(), params_, idf_);
}

SparseMatrix TfidfVectorizer::transform(const std::vector<std::string>& texts, const ProgressFn& progress) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "TfidfVectorizer.transform: this vectorizer is not fitted yet; call fit first");
  const text::TermTable& index = *index_;
  TermCounts counts = count_terms(texts, params_.lowercase, "TfidfVectorizer.transform", progress,
                                  [&](std::string_view token) { return index.find(token); });
  return weigh(counts, feature_names_.size(), params_, idf_);
}

const std::vector<std::string>& TfidfVectorizer::feature_names() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "TfidfVectorizer.feature_names: this vectorizer is not fitted yet");
  return feature_names_;
}

const std::vector<float>& TfidfVectorizer::idf() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "TfidfVectorizer.idf: this vectorizer is not fitted yet");
  return idf_;
}

std::optional<std::size_t> TfidfVectorizer::index_of(std::string_view term) const {
  if (!index_) return std::nullopt;
  const std::int32_t column = index_->find(term);
  if (column < 0) return std::nullopt;
  return static_cast<std::size_t>(column);
}

std::vector<std::string> TfidfVectorizer::analyze(std::string_view text, bool lowercase) {
  text::WordAnalyzer analyzer(lowercase);
  std::vector<std::string_view> tokens;
  if (!analyzer.analyze(text, tokens)) throw_invalid_utf8("TfidfVectorizer.analyze", 0, text);
  return {tokens.begin(), tokens.end()};
}

TfidfVectorizer TfidfVectorizer::from_state(TfidfParams params, std::vector<std::string> feature_names,
                                            std::vector<float> idf) {
  TfidfVectorizer v(std::move(params));
  EMB_CHECK(!feature_names.empty(), "TfidfVectorizer.from_state: the vocabulary is empty");
  for (std::size_t i = 1; i < feature_names.size(); ++i)
    EMB_CHECK(feature_names[i - 1] < feature_names[i], "TfidfVectorizer.from_state: vocabulary entries ", i - 1,
              " and ", i, " ('", feature_names[i - 1], "', '", feature_names[i],
              "') are not in increasing order; expected a sorted vocabulary without duplicates");
  const std::size_t expected_idf = v.params_.use_idf ? feature_names.size() : 0;
  EMB_CHECK(idf.size() == expected_idf, "TfidfVectorizer.from_state: idf has ", idf.size(), " values; expected ",
            expected_idf, " (use_idf=", v.params_.use_idf, ", ", feature_names.size(), " terms)");
  for (std::size_t i = 0; i < idf.size(); ++i)
    EMB_CHECK(std::isfinite(idf[i]) && idf[i] > 0.0f, "TfidfVectorizer.from_state: idf[", i, "] is ", idf[i],
              "; expected a finite positive value");
  v.feature_names_ = std::move(feature_names);
  v.idf_ = std::move(idf);
  v.build_index();
  return v;
}

void TfidfVectorizer::build_index() {
  auto index = std::make_shared<text::TermTable>();
  for (const std::string& name : feature_names_) index->insert(name);
  index_ = std::move(index);
}

}  // namespace emb

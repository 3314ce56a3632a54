// Bindings of the text encoders: argument conversion and GIL release only.
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>

#include "convert.h"
#include "embetter/error.h"
#include "embetter/lite_text_encoder.h"
#include "embetter/sentence_encoder.h"
#include "embetter/static_encoders.h"

namespace emb::py_bind {
namespace {

using Texts = std::vector<std::string>;

// `make()` (a Matrix) without the GIL; the result goes to numpy without a copy.
template <class Make>
py::array_t<float> matrix_nogil(Make&& make) {
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = make();
  }
  return to_numpy(std::move(out));
}

// Texts converted from Python at a time by the static encoders: a huge list is
// not copied whole, and each text's row does not depend on its window.
constexpr std::size_t kStaticWindow = 4096;

// Static encoders take the progress callback per call: `interruptible()` lets
// Ctrl-C stop them every 1024 texts. Each window of texts is converted under
// the GIL, encoded without it, and its rows copied into the one result array.
template <class Encoder>
py::array_t<float> encode_in_windows(const Encoder& e, const py::sequence& texts) {
  const std::size_t n = texts.size(), dim = e.dim();
  py::array_t<float> out({n, dim});
  float* rows = out.mutable_data();
  Texts window;
  for (std::size_t begin = 0; begin < n; begin += kStaticWindow) {
    const std::size_t end = std::min(n, begin + kStaticWindow);
    window.clear();
    for (std::size_t i = begin; i < end; ++i) window.push_back(texts[i].cast<std::string>());
    Matrix part;
    {
      py::gil_scoped_release nogil;
      part = e.encode(window, interruptible());
    }
    std::copy(part.data(), part.data() + part.size(), rows + begin * dim);
  }
  return out;
}

// A huge list is not copied whole: SentenceEncoder asks for a window of
// texts at a time, converted here under the GIL (a moment against encoding them).
py::array_t<float> encode_sentences(const SentenceEncoder& e, const py::sequence& texts) {
  const std::size_t n = texts.size();
  Texts window;
  auto fetch = [&](std::size_t begin, std::size_t end) {
    py::gil_scoped_acquire gil;
    window.clear();
    for (std::size_t i = begin; i < end; ++i) window.push_back(texts[i].cast<std::string>());
    return std::span<const std::string>(window);
  };
  return matrix_nogil([&] { return e.encode(n, fetch); });
}

BpeAggregation aggregation_of(const std::string& agg) {
  if (agg == "mean") return BpeAggregation::Mean;
  if (agg == "max") return BpeAggregation::Max;
  if (agg == "both") return BpeAggregation::Both;
  throw InvalidArgument("BytePairEncoder: agg='" + agg + "'; expected 'mean', 'max' or 'both'");
}

}  // namespace

void register_text(py::module_& m) {
  py::class_<LiteTextEncoder> lite(m, "LiteTextEncoder");
  lite.def(py::init([](int dim, bool is_lite, std::optional<std::uint64_t> random_state, bool sublinear_tf,
                       double min_df, double max_df, std::optional<std::size_t> max_features) {
             LiteTextEncoderParams p;
             p.dim = dim;
             p.lite = is_lite;
             if (random_state) p.random_state = *random_state;
             p.tfidf.sublinear_tf = sublinear_tf;
             p.tfidf.min_df = min_df;
             p.tfidf.max_df = max_df;
             p.tfidf.max_features = max_features;
             return LiteTextEncoder(p);
           }),
           py::kw_only(), py::arg("dim"), py::arg("lite"), py::arg("random_state"), py::arg("sublinear_tf"),
           py::arg("min_df"), py::arg("max_df"), py::arg("max_features"))
      .def("fit",
           [](LiteTextEncoder& e, const Texts& texts) {
             py::gil_scoped_release nogil;
             e.fit(texts, interruptible());
           })
      .def("transform",
           [](const LiteTextEncoder& e, const Texts& texts) {
             return matrix_nogil([&] { return e.transform(texts, interruptible()); });
           })
      .def_property_readonly("dim", &LiteTextEncoder::dim);
  bind_bytes(lite);

  py::class_<SentenceEncoder>(m, "SentenceEncoder")
      .def(py::init([](const std::string& name, int batch_size, bool normalize, int max_seq_length, int truncate_dim,
                       int num_threads, bool show_progress_bar, const std::string& precision) {
             SentenceEncoderOptions o;
             o.precision = precision;
             o.batch_size = batch_size;
             o.normalize_embeddings = normalize;
             o.max_seq_length = max_seq_length;
             o.truncate_dim = truncate_dim;
             o.num_threads = num_threads;
             o.show_progress_bar = show_progress_bar;
             o.progress = interruptible();
             py::gil_scoped_release nogil;
             return SentenceEncoder::load(name, o);
           }),
           py::arg("name"), py::kw_only(), py::arg("batch_size") = 32, py::arg("normalize_embeddings") = false,
           py::arg("max_seq_length") = 0, py::arg("truncate_dim") = 0, py::arg("num_threads") = 0,
           py::arg("show_progress_bar") = false, py::arg("precision") = "fp32")
      .def("encode", &encode_sentences)
      .def("token_ids", &SentenceEncoder::token_ids, py::arg("text"))
      .def_property_readonly("dim", &SentenceEncoder::dim)
      .def_property_readonly("max_seq_length", &SentenceEncoder::max_seq_length);

  py::class_<TextEncoder>(m, "TextEncoder")
      .def(py::init([](const std::string& name) {
        py::gil_scoped_release nogil;
        return TextEncoder::load(name);
      }))
      .def("encode", &encode_in_windows<TextEncoder>)
      .def_property_readonly("dim", &TextEncoder::dim);

  py::class_<BytePairEncoder>(m, "BytePairEncoder")
      .def(py::init([](const std::string& model_file, const std::string& vectors_file, const std::string& agg) {
             const BpeAggregation aggregation = aggregation_of(agg);
             py::gil_scoped_release nogil;
             return BytePairEncoder(model_file, vectors_file, aggregation);
           }),
           py::arg("model_file"), py::arg("vectors_file"), py::arg("agg") = "mean")
      .def("encode", &encode_in_windows<BytePairEncoder>)
      .def_property_readonly("dim", &BytePairEncoder::dim);
}

}  // namespace emb::py_bind

// Binding of the explorer page writer: argument conversion and GIL release only.
#include <pybind11/stl.h>

#include "convert.h"
#include "embetter/explorer.h"
#include "embetter/pca.h"

namespace emb::py_bind {

void register_explore(py::module_& m) {
  m.def(
      "write_explorer",
      [](const std::string& path, std::vector<std::string> texts, std::vector<std::string> labels,
         const std::vector<std::pair<std::string, FloatArray>>& spaces, const std::string& title) {
        std::vector<ExplorerSpace> converted;
        for (const auto& [name, points] : spaces) converted.push_back({name, to_matrix(points, name.c_str())});
        py::gil_scoped_release nogil;
        write_explorer(path, texts, labels, converted, {.title = title});
      },
      py::arg("path"), py::arg("texts"), py::arg("labels"), py::arg("spaces"), py::arg("title"),
      "Writes the explorer page (embetter.explore is the documented entry point).");
  m.def(
      "pca_2d", [](const FloatArray& X) {
        const Matrix x = to_matrix(X, "embeddings");
        Matrix points;
        {
          py::gil_scoped_release nogil;
          points = Pca(2).fit_transform(x);
        }
        return to_numpy(std::move(points));
      },
      py::arg("X"), "The 2-D PCA projection the CLI's explore command draws (as scikit-learn's PCA(2)).");
}

}  // namespace emb::py_bind

// write_scatter in a build without cairo (EMB_WITH_PLOT=OFF): the arguments
// are still checked, then the missing part is named. (The Python package draws
// its charts with matplotlib and does not need this.)
#include "embetter/error.h"
#include "embetter/plot.h"

namespace emb {

void write_scatter(const std::filesystem::path& path, const Matrix&, const std::vector<std::string>&,
                   const ScatterOptions&) {
  throw InvalidArgument(detail::concat("cannot write the chart ", path.string(),
                                       ": this embetter was built without charts (EMB_WITH_PLOT=OFF, no cairo); "
                                       "build with cairo (libcairo2-dev) to draw it"));
}

}  // namespace emb

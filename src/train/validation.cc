#include "train/validation.h"

#include <cmath>

#include "embetter/error.h"

namespace emb::train {

void check_X_y(const Matrix& X, const std::vector<std::string>& y, const char* method) {
  check_finite_nonempty(X, "X");
  EMB_CHECK(y.size() == X.rows(), method, ": X has ", X.rows(), " rows but y has ", y.size(),
            " labels; expected one label per row");
}

void check_positive(int value, const char* name) {
  EMB_CHECK(value > 0, name, ": expected a positive integer, got ", value);
}

void check_positive_real(double value, const char* name) {
  EMB_CHECK(std::isfinite(value) && value > 0, name, ": expected a positive finite number, got ", value);
}

void check_two_classes(const LabelEncoder& classes, const char* what) {
  EMB_CHECK(classes.num_classes() >= 2, what, ": expected at least 2 distinct classes, got ",
            classes.num_classes(), classes.num_classes() == 1 ? " ('" + classes.classes()[0] + "')" : "");
}

}  // namespace emb::train

#pragma once
// Argument checks shared by the trainers; each error names the argument, what
// was expected and what was given.
#include <string>
#include <vector>

#include "embetter/labels.h"
#include "embetter/matrix.h"

namespace emb::train {

/// X non-empty and finite, and y with one label per row of X.
void check_X_y(const Matrix& X, const std::vector<std::string>& y, const char* method);
/// A positive integer parameter.
void check_positive(int value, const char* name);
/// A positive finite learning rate or similar.
void check_positive_real(double value, const char* name);
/// At least two classes (a classifier needs something to tell apart).
void check_two_classes(const LabelEncoder& classes, const char* what);

}  // namespace emb::train

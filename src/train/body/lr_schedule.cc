#include "lr_schedule.h"  // same folder; the test-facing binding includes this header by path

#include <algorithm>

#include "embetter/error.h"

namespace emb::train::body {

double warmup_linear_lr(double base_lr, std::int64_t step, std::int64_t warmup_steps, std::int64_t total_steps) {
  EMB_CHECK(step >= 0 && warmup_steps >= 0 && total_steps >= 0, "warmup_linear_lr: step ", step, ", warmup_steps ",
            warmup_steps, " and total_steps ", total_steps, "; expected none negative");
  // transformers' _get_linear_schedule_with_warmup_lr_lambda, operation for
  // operation (integer differences, then float(...) / float(...)), and
  // LambdaLR's base_lr * factor: the result is bit-identical to torch's.
  double factor;
  if (step < warmup_steps) {
    factor = static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps));
  } else {
    factor = std::max(0.0, static_cast<double>(total_steps - step) /
                               static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup_steps)));
  }
  return base_lr * factor;
}

}  // namespace emb::train::body

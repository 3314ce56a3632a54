// embetter._core: the C++ core seen from Python. Each bind_*.cc registers
// one family of classes; this file wires them up and maps our exceptions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "embetter/error.h"
#include "embetter/isa.h"
#include "embetter/threads.h"

namespace py = pybind11;

namespace emb::py_bind {
void register_finetune(py::module_& m);
void register_text(py::module_& m);
void register_explore(py::module_& m);
void register_image(py::module_& m);
void register_preprocess(py::module_& m);
void register_body(py::module_& m);
void register_body_folder(py::module_& m);
void register_body_optim(py::module_& m);
void register_body_finetuner(py::module_& m);
void register_clip(py::module_& m);
void register_timm(py::module_& m);
}  // namespace emb::py_bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "embetter's C++ core (use the embetter.* modules, not this one directly)";

  // Unfitted use raises a subclass of scikit-learn's NotFittedError, as sklearn users expect.
  py::object sk_not_fitted = py::module_::import("sklearn.exceptions").attr("NotFittedError");
  static py::exception<emb::NotFittedError> not_fitted(m, "NotFittedError", sk_not_fitted.ptr());
  static py::exception<emb::ModelLoadError> load_error(m, "ModelLoadError", PyExc_ValueError);
  static py::exception<emb::NotSupportedError> not_supported(m, "NotSupportedError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const emb::NotFittedError& e) {
      py::set_error(not_fitted, e.what());
    } catch (const emb::ModelLoadError& e) {
      py::set_error(load_error, e.what());
    } catch (const emb::NotSupportedError& e) {
      py::set_error(not_supported, e.what());
    } catch (const emb::InvalidArgument& e) {
      py::set_error(PyExc_ValueError, e.what());
    } catch (const emb::Interrupted& e) {
      py::set_error(PyExc_KeyboardInterrupt, e.what());
    }
  });

  m.def("set_num_threads", &emb::set_num_threads, py::arg("n"),
        "Threads for every pool embetter uses; <= 0 means all cores.");
  m.def("num_threads", &emb::num_threads);
  m.def("kernel_isa", &emb::kernel_isa,
        "The instruction-set level embetter's kernels run at (e.g. 'avx2'); EMB_ISA caps it.");
  m.def("runnable_kernel_isas", &emb::runnable_kernel_isas, "Every level this CPU runs, narrowest first.");

  emb::py_bind::register_finetune(m);
  emb::py_bind::register_text(m);
  emb::py_bind::register_explore(m);
  emb::py_bind::register_image(m);
  emb::py_bind::register_preprocess(m);
  emb::py_bind::register_body(m);
  emb::py_bind::register_body_folder(m);
  emb::py_bind::register_body_optim(m);
  emb::py_bind::register_body_finetuner(m);
  emb::py_bind::register_clip(m);
  emb::py_bind::register_timm(m);
}

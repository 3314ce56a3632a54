# Every dependency comes from Debian's -dev packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 QUIET)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
# oneDNN (libdnnl-dev) for the small matrix products of training; its CPU
# runtime is OpenMP, whose thread count we set (src/linalg/gemm.cc): we link
# its runtime library only, the library itself is not compiled with -fopenmp.
find_package(dnnl 2.6 REQUIRED CONFIG)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND NOT OpenMP_CXX_LIB_NAMES)
  # clang would look for its own libomp; oneDNN is built against GCC's
  # libgomp, and two OpenMP runtimes in one process must not meet.
  find_library(EMB_LIBGOMP NAMES gomp libgomp.so.1 REQUIRED)
  set(OpenMP_CXX_FLAGS "-fopenmp=libgomp" CACHE STRING "")
  set(OpenMP_CXX_LIB_NAMES gomp CACHE STRING "")
  set(OpenMP_gomp_LIBRARY "${EMB_LIBGOMP}" CACHE FILEPATH "")
endif()
find_package(OpenMP REQUIRED COMPONENTS CXX)
if(EMB_WITH_HUB)
  find_package(CURL REQUIRED)
endif()
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
if(EMB_WITH_PLOT)
  pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
endif()
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
# Image decoding (src/image): libjpeg62-turbo-dev, libpng-dev, libwebp-dev.
pkg_check_modules(LIBJPEG REQUIRED IMPORTED_TARGET libjpeg)
pkg_check_modules(LIBPNG REQUIRED IMPORTED_TARGET libpng)
pkg_check_modules(LIBWEBP REQUIRED IMPORTED_TARGET libwebp)
# torch.save checkpoints (pytorch_model.bin, src/io/torch_checkpoint.cc) are zip archives: libzip-dev.
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)

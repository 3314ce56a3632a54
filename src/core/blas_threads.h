#pragma once
// OpenBLAS's thread count is one setting for the whole process. Code that
// wants its products on the calling thread (the encoder: its threads each run
// their own sequences) holds a SingleThreadedBlas; the holders are counted
// process-wide, so that concurrent encode() calls neither undo each other's
// setting nor leave OpenBLAS at one thread when the last of them ends (each
// call used to save and restore the setting on its own: two overlapping
// calls could restore it in the wrong order).
namespace emb {

class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

}  // namespace emb

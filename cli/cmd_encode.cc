// embetter encode: texts or images in, a float32 .npy of embeddings out (one
// row per text or image, input order), streamed a chunk at a time. Texts go
// through a sentence-transformers model or a CLIP model's text tower, images
// through a CLIP model's image tower or a timm model; what the model is comes
// from its folder's files.
#include <algorithm>
#include <memory>

#include "commands.h"
#include "embetter/error.h"
#include "embetter/image.h"
#include "embetter/jsonl.h"
#include "encode_models.h"
#include "image_inputs.h"
#include "inputs.h"
#include "io/npy_writer.h"
#include "io/text_reader.h"

namespace emb::cli {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- texts

/// .jsonl: the value at --text-field of each line; anything else: one text per line.
io::TextReader open_texts(const EncodeOptions& o) {
  const fs::path path(o.in);
  std::error_code ec;
  EMB_CHECK(fs::exists(path, ec), describe("--in", path), ": no such file");
  EMB_CHECK(!fs::is_directory(path, ec), describe("--in", path), ": is a folder; expected a .txt or .jsonl file");
  return io::TextReader(path, path.extension() == ".jsonl" ? o.text_field : "");
}

/// The next chunk of texts; reading errors (which name the file and line) become --in errors.
bool read_chunk(io::TextReader& reader, std::size_t size, JsonlColumns& chunk) {
  try {
    return reader.read(size, chunk);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("--in: ") + e.what());
  } catch (const ModelLoadError& e) {
    throw InvalidArgument(std::string("--in: ") + e.what());
  }
}

/// Texts of white space alone are encoded (a row each, so rows stay aligned
/// with lines), but a file of nothing else is a mistake: its rows would all
/// be the embedding of no word.
void check_some_words(const io::TextReader& reader, const EncodeOptions& o) {
  EMB_CHECK(reader.blank_texts_read() < reader.texts_read(), describe("--in", o.in), ": all ", reader.texts_read(),
            " texts are white space only; expected at least one with a word");
}

/// A first pass over the input, holding one chunk at a time: every line is
/// checked before the model is loaded (seconds) or anything is encoded, and
/// the count sizes the progress bar.
std::size_t count_texts(const EncodeOptions& o) {
  io::TextReader reader = open_texts(o);
  JsonlColumns chunk;
  while (read_chunk(reader, o.chunk_size, chunk)) {
  }
  EMB_CHECK(reader.texts_read() > 0, describe("--in", o.in), ": holds no texts (the file is empty or blank)");
  check_some_words(reader, o);
  return reader.texts_read();
}

void encode_texts(const EncodeOptions& o, const Console& console) {
  // A file is read twice: the first pass checks every line before the model
  // is loaded (seconds) or anything is encoded, and counts the texts for the
  // progress bar. A pipe can be read only once: a bad line there stops the
  // encoding where it is found, and nothing is written.
  std::error_code ec;
  const bool rereadable = fs::is_regular_file(o.in, ec);
  const std::size_t total = rereadable ? count_texts(o) : 0;  // 0: unknown

  // Texts are read, encoded and written a chunk at a time, so memory is
  // bounded by the chunk, not the input; rows are the same bit for bit
  // whatever the chunk size (an embedding never depends on its batch).
  std::size_t done_before = 0;  // texts of the chunks already written
  ProgressBar bar(console, "encoding");
  const ProgressFn bar_callback = bar.callback();
  const ProgressFn progress = [&](std::size_t done, std::size_t) { return bar_callback(done_before + done, total); };
  console.step("loading " + o.model);
  const ChunkEncoder encoder = load_encoder(o, Input::Texts, progress);
  console.step("encoding " + (total ? std::to_string(total) + " texts" : "the texts of " + o.in) + " with " +
               encoder.path);
  io::TextReader reader = open_texts(o);
  io::NpyWriter writer(o.out, encoder.dim);  // a temporary file until commit()
  JsonlColumns chunk;
  while (read_chunk(reader, o.chunk_size, chunk)) {
    writer.append(encoder.encode(chunk.texts));
    done_before += chunk.texts.size();
  }
  bar.finish();
  EMB_CHECK(writer.rows() > 0, describe("--in", o.in), ": holds no texts (the file is empty or blank)");
  check_some_words(reader, o);
  writer.commit();
  if (reader.blank_texts_read() > 0)
    console.step("note: " + std::to_string(reader.blank_texts_read()) +
                 " texts were white space only; their rows embed no word");
  console.step("wrote " + o.out + " (" + std::to_string(writer.rows()) + " x " + std::to_string(writer.cols()) +
               " float32)");
}

// ---------------------------------------------------------------- images

void encode_images(const EncodeOptions& o, const Console& console) {
  // Every file is listed and checked first, before the model is loaded
  // (seconds); a file whose body is corrupt stops the run when it is decoded,
  // with nothing written.
  const std::vector<std::string> paths = image_paths(o.images);
  std::size_t done_before = 0;  // images of the chunks already written
  ProgressBar bar(console, "encoding");
  const ProgressFn bar_callback = bar.callback();
  const ProgressFn progress = [&](std::size_t done, std::size_t) {
    return bar_callback(done_before + done, paths.size());
  };
  console.step("loading " + o.model);
  const ChunkEncoder encoder = load_encoder(o, Input::Images, progress);
  console.step("encoding " + std::to_string(paths.size()) + " images with " + encoder.path);
  io::NpyWriter writer(o.out, encoder.dim);  // a temporary file until commit()
  for (std::size_t begin = 0; begin < paths.size(); begin += o.chunk_size) {
    const std::size_t end = std::min(paths.size(), begin + o.chunk_size);
    const std::vector<std::string> chunk(paths.begin() + static_cast<std::ptrdiff_t>(begin),
                                         paths.begin() + static_cast<std::ptrdiff_t>(end));
    try {
      writer.append(encoder.encode(chunk));
    } catch (const ImageError& e) {  // names the file
      throw InvalidArgument(std::string("--images: ") + e.what());
    } catch (const InvalidArgument& e) {  // an image the model's preprocessing cannot take
      throw InvalidArgument(std::string("--images: ") + e.what());
    } catch (const ModelLoadError& e) {  // e.g. a CLIP folder without its image preprocessing
      throw InvalidArgument("--model " + o.model + ": " + e.what());
    }
    done_before = end;
  }
  bar.finish();
  writer.commit();
  console.step("wrote " + o.out + " (" + std::to_string(writer.rows()) + " x " + std::to_string(writer.cols()) +
               " float32)");
}

void run_encode(const EncodeOptions& o, const GlobalOptions& global) {
  const Console console(global);
  EMB_CHECK(!o.in.empty() || !o.images.empty(),
            "expected --in (a file of texts) or --images (image files, folders or lists of images)");
  check_output_path(o.out, "--out", {".npy"});
  if (o.images.empty()) encode_texts(o, console);
  else encode_images(o, console);
}

}  // namespace

Command add_encode_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<EncodeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "encode", "Encode texts or images with a sentence-transformers, CLIP or timm model into a .npy file");
  cmd->add_option("--model", o->model,
                  "Model folder or hub id (e.g. all-MiniLM-L6-v2, clip-ViT-B-32, timm/mobilenetv3_large_100.ra_in1k), "
                  "found in the Hugging Face cache or downloaded")
      ->required();
  CLI::Option* in = cmd->add_option("--in", o->in, "Texts: .txt (one per line) or .jsonl (with --text-field)");
  CLI::Option* text_field =
      cmd->add_option("--text-field", o->text_field, "Field of the .jsonl file holding the text")->capture_default_str();
  CLI::Option* images = cmd->add_option(
      "--images", o->images,
      "Images (CLIP or timm models): folders (their .jpg/.jpeg/.png/.webp files, by name), image files, or text files "
      "listing one image path a line (relative to the list's folder)");
  images->excludes(in)->excludes(text_field);
  cmd->add_option("--out", o->out, "The embeddings to write: .npy (float32, one row per text or image)")->required();
  cmd->add_option("--batch-size", o->batch_size, "Texts or images per batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--chunk-size", o->chunk_size,
                  "Texts or images read, encoded and written at a time (bounds the memory)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  cmd->add_flag("--normalize", o->normalize, "L2-normalise each embedding (not with timm models)");
  cmd->add_option("--precision", o->precision,
                  "Matrix products: fp32, or int8 (faster, cosine >= 0.999 to fp32; not with timm models)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "int8"}));
  return [o, &global] { run_encode(*o, global); };
}

}  // namespace emb::cli

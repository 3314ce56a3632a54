#pragma once
// The image files of `embetter encode --images`: folders, image files and
// list files, expanded and checked before the model loads.
#include <string>
#include <vector>

namespace emb::cli {

/// Every --images argument in order, each a folder (its .jpg/.jpeg/.png/.webp
/// files, any case, by file name; hidden files and subfolders left out), an
/// image file (by its extension, or else by its first bytes) or a list file
/// (one path a line, relative to the list's folder). Each file must exist and
/// start like a JPEG, PNG or WebP image; InvalidArgument (exit 2) naming
/// --images and the file otherwise.
std::vector<std::string> image_paths(const std::vector<std::string>& arguments);

}  // namespace emb::cli

#pragma once
// The huggingface_hub settings that come from the environment, read the same
// way its constants.py reads them (so both tools agree on where the cache is).
#include <filesystem>
#include <optional>
#include <string>

namespace emb::hub {

/// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
std::filesystem::path hf_home();
/// $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else hf_home()/hub.
std::filesystem::path cache_root();
/// $HF_ENDPOINT without trailing slashes, else https://huggingface.co.
std::string endpoint();
/// HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is 1/ON/YES/TRUE, any case.
bool offline();
/// $HF_TOKEN, else the first line of $HF_TOKEN_PATH or hf_home()/token; trimmed.
std::optional<std::string> token();

}  // namespace emb::hub

#pragma once
// A one-page HTTP server on 127.0.0.1 for `embetter explore --serve`.
#include <functional>
#include <string>

namespace emb::cli {

/// Serves `html` at http://127.0.0.1:PORT/ until Ctrl-C (interrupt_requested()),
/// then returns. `port` 0 picks a free port; `ready` is called once with the
/// URL, after the socket listens. Throws Error when the port cannot be bound.
void serve_page(const std::string& html, int port, const std::function<void(const std::string& url)>& ready);

}  // namespace emb::cli

// The smallest server that lets a browser open the explorer page over HTTP:
// POSIX sockets, one connection at a time, HTTP/1.0 semantics (the reply closes
// the connection). The page is self-contained, so GET / is the only resource;
// anything else is 404 (405 for methods other than GET and HEAD). It listens on
// the loopback interface only. No library: the project links only an HTTP
// client (libcurl), and Python's http.server serves `embetter.explore(serve=True)`.
#include "serve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "console.h"
#include "embetter/error.h"

namespace emb::cli {
namespace {

struct Socket {
  int fd;
  explicit Socket(int f) : fd(f) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads up to the blank line that ends the request head (the body, if any, is ignored).
std::string read_head(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
    if (k <= 0) break;  // closed, error, or the 5 s receive timeout
    head.append(buf, static_cast<std::size_t>(k));
  }
  return head;
}

void send_all(int fd, const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t k = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (k <= 0 && errno != EINTR) return;  // the client went away: nothing to do
    if (k > 0) sent += static_cast<std::size_t>(k);
  }
}

std::string reply(const std::string& head, const std::string& html) {
  const std::string method = head.substr(0, head.find(' '));
  const std::size_t start = method.size() + 1;
  const std::string target = head.size() > start ? head.substr(start, head.find_first_of(" ?\r", start) - start) : "";
  const auto head_of = [&](const std::string& status, const std::string& type, std::size_t size) {
    return "HTTP/1.0 " + status + "\r\nContent-Type: " + type + "; charset=utf-8\r\nContent-Length: " +
           std::to_string(size) + "\r\nCache-Control: no-store\r\nConnection: close\r\n";
  };
  if (method != "GET" && method != "HEAD") {
    const std::string body = "405: only GET and HEAD\n";
    return head_of("405 Method Not Allowed", "text/plain", body.size()) + "Allow: GET, HEAD\r\n\r\n" + body;
  }
  if (target != "/") {
    const std::string body = "404: the explorer page is at /\n";
    return head_of("404 Not Found", "text/plain", body.size()) + "\r\n" + (method == "HEAD" ? "" : body);
  }
  return head_of("200 OK", "text/html", html.size()) + "\r\n" + (method == "HEAD" ? "" : html);
}

}  // namespace

void serve_page(const std::string& html, int port, const std::function<void(const std::string& url)>& ready) {
  const Socket server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EMB_CHECK_AS(Error, server.fd >= 0, "--serve: cannot open a socket: ", std::strerror(errno));
  const int one = 1;
  ::setsockopt(server.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EMB_CHECK_AS(Error,
               ::bind(server.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 && ::listen(server.fd, 16) == 0 &&
                   ::getsockname(server.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
               "--port ", port, ": cannot listen on 127.0.0.1:", port, " (", std::strerror(errno),
               "); --port 0 picks a free port");
  ready("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
  // The CLI's SIGINT handler restarts interrupted calls, so wait in short polls and look at its flag.
  while (!interrupt_requested()) {
    pollfd waiting{server.fd, POLLIN, 0};
    if (::poll(&waiting, 1, 200) <= 0) continue;
    const Socket client(::accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (client.fd < 0) continue;
    const timeval timeout{5, 0};  // a client that sends nothing cannot hold the server
    ::setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    send_all(client.fd, reply(read_head(client.fd), html));
  }
}

}  // namespace emb::cli

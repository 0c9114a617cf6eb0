#pragma once

// The fake provider's HTTP server: one io_context, a few threads, one strand per connection,
// every wait an asio timer. Connections always keep a read pending, so a client that closes
// (or resets) is noticed at once, even while its answer is waiting or stalled.

#include <cstdint>
#include <memory>
#include <string>

#include "behaviour.hpp"

namespace fake_provider {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port
  int threads = 1;
  bool require_auth = true;
  bool exit_on_stdin_close = false;  ///< stop when stdin reaches EOF (the parent went away)
  defaults answer_defaults;
};

class server {
 public:
  /// Binds and listens (throws std::system_error when it cannot).
  explicit server(const server_options& options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  /// Serves until SIGINT/SIGTERM (or stdin EOF when asked).
  void run();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fake_provider

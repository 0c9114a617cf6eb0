#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "lekhika/providers/secret.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::actors {
class engine;
}

namespace lekhika::http {

/// How the HTTP server listens and what it accepts.
struct server_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3001;             ///< 0: any free port (tests)
  std::size_t max_body_bytes = 8388608;  ///< larger bodies get 413
  providers::secret auth_secret;  ///< X-Internal-Auth / Bearer; empty: no auth (--insecure-dev)
  std::size_t threads = 2;        ///< I/O threads
  std::string version;            ///< reported by /health
};

/// The RESTinio server of api.md §2. Request handlers never block: they hand the work to
/// bridge actors and return at once.
class http_server {
 public:
  /// Binds and starts serving; fails when the address cannot be bound.
  [[nodiscard]] static result<std::unique_ptr<http_server>> start(const server_settings& settings,
                                                                  actors::engine& engine);
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;
  ~http_server();

  /// The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Stops accepting, closes connections and joins the I/O threads (idempotent).
  void stop();

 private:
  struct impl;
  explicit http_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace lekhika::http

// api.md §3.2 (transport): calls to providers go over TLS with certificates verified. A provider
// endpoint whose certificate nobody vouches for (a mistyped base URL, an intercepting proxy)
// fails the call at once with a clear error, not retried since every attempt would fail the same
// way; one behind a private certificate authority is trusted through PROVIDER_CA_FILE.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <thread>

#include "provider_harness.hpp"

namespace lekhika::e2e {
namespace {

namespace fs = std::filesystem;

/// An OpenAI-compatible endpoint over TLS on loopback, with a self-signed certificate for
/// 127.0.0.1 made at start: a client that verifies certificates refuses the handshake unless it
/// trusts that certificate (cert_pem()). After a handshake it answers one streamed completion.
class self_signed_tls_listener {
 public:
  self_signed_tls_listener() {
    key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", const_cast<char*>("P-256"));
    cert_ = X509_new();
    if (key_ == nullptr || cert_ == nullptr) return;
    X509_set_version(cert_, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    // Clients match an IP address against the subjectAltName, never the common name.
    X509V3_CTX ext_ctx;
    X509V3_set_ctx_nodb(&ext_ctx);
    X509V3_set_ctx(&ext_ctx, cert_, cert_, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ext_ctx, NID_subject_alt_name, "IP:127.0.0.1");
    if (san == nullptr) return;
    X509_add_ext(cert_, san, -1);
    X509_EXTENSION_free(san);
    if (X509_sign(cert_, key_, EVP_sha256()) == 0) return;
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (ctx_ == nullptr || SSL_CTX_use_certificate(ctx_, cert_) != 1 ||
        SSL_CTX_use_PrivateKey(ctx_, key_) != 1) {
      return;
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    auto* generic = reinterpret_cast<sockaddr*>(&address);
    if (fd_ < 0 || ::bind(fd_, generic, size) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, generic, &size) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~self_signed_tls_listener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  self_signed_tls_listener(const self_signed_tls_listener&) = delete;
  self_signed_tls_listener& operator=(const self_signed_tls_listener&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] int connections() const noexcept { return connections_; }
  [[nodiscard]] int handshakes_refused() const noexcept { return refused_; }
  [[nodiscard]] int requests_answered() const noexcept { return answered_; }

  /// Writes the certificate as PEM to `path` (the file a client is told to trust).
  [[nodiscard]] bool write_cert_pem(const fs::path& path) const {
    FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) return false;
    const bool written = PEM_write_X509(file, cert_) == 1;
    return std::fclose(file) == 0 && written;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd waiting{fd_, POLLIN, 0};
      if (::poll(&waiting, 1, 100) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++connections_;
      const timeval patience{10, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, client);
      if (SSL_accept(ssl) != 1) {
        ++refused_;
      } else if (answer(*ssl)) {
        ++answered_;
      }
      SSL_free(ssl);
      ::close(client);
    }
  }

  // Reads one request (headers, then Content-Length bytes) and streams a completion in the
  // OpenAI format, then closes the connection.
  static bool answer(SSL& ssl) {
    std::string request;
    std::array<char, 4096> buffer{};
    std::size_t body_at = std::string::npos;
    std::size_t length = 0;
    while (body_at == std::string::npos || request.size() < body_at + length) {
      const int n = SSL_read(&ssl, buffer.data(), static_cast<int>(buffer.size()));
      if (n <= 0) return false;
      request.append(buffer.data(), static_cast<std::size_t>(n));
      if (body_at == std::string::npos) {
        const auto end = request.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        body_at = end + 4;
        std::string headers = request.substr(0, end);
        std::transform(headers.begin(), headers.end(), headers.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto field = headers.find("content-length:");
        if (field != std::string::npos) length = std::stoul(headers.substr(field + 15));
      }
    }
    const std::string chunk =
        R"({"id":"tls-1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,)";
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        "data: " +
        chunk + R"("delta":{"role":"assistant","content":"Answered over TLS."},)" +
        R"("finish_reason":null}]})" + "\n\n" + "data: " + chunk + R"("delta":{},)" +
        R"("finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,)" +
        R"("total_tokens":16}})" + "\n\ndata: [DONE]\n\n";
    const bool sent = SSL_write(&ssl, response.data(), static_cast<int>(response.size())) ==
                      static_cast<int>(response.size());
    SSL_shutdown(&ssl);
    return sent;
  }

  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> refused_{0};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

TEST(ProviderTls, AnUntrustedCertificateFailsTheCallAtOnce) {
  self_signed_tls_listener listener;
  ASSERT_GT(listener.port(), 0) << "cannot start the TLS listener";
  server_options options;
  options.calls = quick_calls();
  options.providers_file = {
      {"TLS-01-selfsigned",
       {{"type", "openai"},
        {"apiKey", std::string{kFileKey}},
        {"baseUrl", "https://127.0.0.1:" + std::to_string(listener.port()) + "/v1"}}}};
  test_server server{options};

  auto data = run_sync(server, one_call_request("tls-user", {"TLS-01-selfsigned:gpt-4o"}));
  ASSERT_EQ(status_of(data), "failed") << data.dump().substr(0, 3000);
  const auto& error = data["error"];
  EXPECT_EQ(error.value("code", std::string{}), "tls_verification_failed") << error.dump();
  EXPECT_EQ(error.value("nodeId", std::string{}), "ask") << error.dump();
  EXPECT_EQ(error.value("attempts", 0), 1) << error.dump();
  EXPECT_NE(error.value("message", std::string{}).find("certificate"), std::string::npos)
      << error.dump();
  // One handshake, which the engine refused; no second attempt.
  EXPECT_EQ(listener.connections(), 1);
  EXPECT_TRUE(eventually([&] { return listener.handshakes_refused() == 1; }));
  const auto id = data.value("executionId", std::string{});
  stored_view db{server};
  EXPECT_TRUE(db.events(id, "node.retrying").empty());
  expect_no_keys_stored(server, id);
  EXPECT_EQ(listener.requests_answered(), 0);
}

// The same endpoint, its certificate trusted through PROVIDER_CA_FILE: the call completes over
// TLS (the engine's only path to real providers), here through the worker's own configuration.
TEST(ProviderTls, APrivateAuthorityTrustedThroughTheCaFileCompletesTheCall) {
  self_signed_tls_listener listener;
  ASSERT_GT(listener.port(), 0) << "cannot start the TLS listener";
  testing::temp_dir dir;
  const auto pem = dir.path() / "private-ca.pem";
  ASSERT_TRUE(listener.write_cert_pem(pem));
  const auto file = dir.path() / "request.json";
  write_text(file, one_call_request("tls-user", {"openai:gpt-4o"}).dump());
  auto env = worker_env(dir.path());
  env["OPENAI_API_KEY"] = std::string{kOpenAiKey};
  env["OPENAI_BASE_URL"] = "https://127.0.0.1:" + std::to_string(listener.port()) + "/v1";
  env["PROVIDER_CA_FILE"] = pem.string();

  const auto out = dir.path() / "out";
  auto trusted = run_worker({"run", file.string(), "--json", "--out", out.string()}, env,
                            dir.path(), "trusted");
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err << trusted.out.substr(0, 3000);
  EXPECT_NE(read_text(out / "book.md").find("Answered over TLS."), std::string::npos)
      << read_text(out / "book.md").substr(0, 3000);
  EXPECT_EQ(listener.requests_answered(), 1);
  EXPECT_EQ(listener.handshakes_refused(), 0);

  // Without the file the system's store decides, and it does not know this certificate.
  env.erase("PROVIDER_CA_FILE");
  auto untrusted = run_worker({"run", file.string(), "--json"}, env, dir.path(), "untrusted");
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_NE(untrusted.out.find("tls_verification_failed"), std::string::npos)
      << untrusted.out.substr(0, 3000);
  EXPECT_EQ(listener.requests_answered(), 1);

  // A file that is not a certificate bundle stops the start, naming the setting.
  write_text(dir.path() / "not-a-cert.pem", "hello");
  env["PROVIDER_CA_FILE"] = (dir.path() / "not-a-cert.pem").string();
  auto refused = run_worker({"run", file.string()}, env, dir.path(), "refused");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("PROVIDER_CA_FILE"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace lekhika::e2e

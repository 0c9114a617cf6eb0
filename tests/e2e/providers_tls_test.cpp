// api.md §3.2 (transport): TLS certificates of providers are verified. A provider endpoint whose
// certificate nobody vouches for (a mistyped base URL, an intercepting proxy) fails the call at
// once with a clear error; it is not retried, since every attempt would fail the same way.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "provider_harness.hpp"

namespace lekhika::e2e {
namespace {

/// A TLS listener on loopback with a self-signed certificate made at start. It only performs
/// handshakes (and counts them): a client that verifies certificates refuses it.
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
      if (SSL_accept(ssl) != 1) ++refused_;
      SSL_free(ssl);
      ::close(client);
    }
  }

  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> refused_{0};
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
}

}  // namespace
}  // namespace lekhika::e2e

#include "support/tls_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <memory>

#include "support/loopback.h"
#include "support/raw_mqtt.h"
#include "support/tls_material.h"
#include "support/wait.h"

namespace callsignal::test {
namespace {

struct CtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};

// OpenSSL writes to the socket with write(): a peer that already closed (a server refusing our
// client certificate) would raise SIGPIPE. Block it on this thread and discard what was raised.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
};

std::string openssl_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += std::string(out.empty() ? "" : "; ") + buf;
  }
  return out;
}

class Probe {
 public:
  Probe(int fd, const Deadline& deadline) : fd_(fd), deadline_(deadline) {}

  // Runs op (SSL_connect/read/write) until it succeeds, waiting on the socket as OpenSSL asks.
  template <class Op>
  bool drive(SSL* ssl, const char* what, Op op, std::string* error) {
    for (;;) {
      int r = op();
      if (r > 0) return true;
      int e = SSL_get_error(ssl, r);
      short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
      if (events == 0) {
        *error = std::string(what) + " failed";
        if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) *error += ": connection closed by the server";
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) *error += std::string(": certificate verify: ") + X509_verify_cert_error_string(verify);
        std::string queued = openssl_errors();
        if (!queued.empty()) *error += " (" + queued + ")";
        return false;
      }
      pollfd p{fd_, events, 0};
      if (::poll(&p, 1, deadline_.poll_timeout_ms()) == 0) {
        *error = std::string(what) + " timed out";
        return false;
      }
    }
  }

 private:
  int fd_;
  const Deadline& deadline_;
};

}  // namespace

TlsProbeResult tls_mqtt_probe(std::uint16_t port, const TlsProbeOptions& options, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  UniqueFd fd = connect_loopback(port, deadline.remaining());
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  SigpipeBlock no_sigpipe;
  ERR_clear_error();
  TlsProbeResult result;

  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return {false, "SSL_CTX_new: " + openssl_errors(), {}};
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1)
    return {false, "cannot load CA " + options.ca_file + ": " + openssl_errors(), {}};
  if (!options.client_cert.empty()) {
    if (SSL_CTX_use_certificate_file(ctx.get(), options.client_cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), options.client_key.c_str(), SSL_FILETYPE_PEM) != 1)
      return {false, "cannot load client certificate: " + openssl_errors(), {}};
  }
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) return {false, "SSL_new: " + openssl_errors(), {}};
  if (!options.verify_host.empty()) {
    in_addr ip{};
    bool is_ip = ::inet_pton(AF_INET, options.verify_host.c_str(), &ip) == 1;
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), options.verify_host.c_str())
                   : SSL_set1_host(ssl.get(), options.verify_host.c_str());
    if (ok != 1) return {false, "cannot set the host to verify: " + openssl_errors(), {}};
  }

  Probe probe(fd.get(), deadline);
  if (!probe.drive(ssl.get(), "TLS handshake", [&] { return SSL_connect(ssl.get()); }, &result.error)) return result;
  if (const X509* peer = SSL_get0_peer_certificate(ssl.get())) result.peer_spki_pin = spki_pin(peer);

  const std::string connect = raw_mqtt::connect_packet("callsignal-tls-probe", true);
  if (!probe.drive(ssl.get(), "MQTT CONNECT write",
                   [&] { return SSL_write(ssl.get(), connect.data(), static_cast<int>(connect.size())); },
                   &result.error))
    return result;
  std::string connack;
  while (connack.size() < 4) {
    char buf[4];
    int got = 0;
    if (!probe.drive(ssl.get(), "MQTT CONNACK read",
                     [&] { return got = SSL_read(ssl.get(), buf, static_cast<int>(4 - connack.size())); },
                     &result.error))
      return result;
    connack.append(buf, static_cast<std::size_t>(got));
  }
  if (connack[0] != '\x20' || connack[1] != '\x02') {
    result.error = "the reply to CONNECT is not a CONNACK";
    return result;
  }
  result.connack_code = static_cast<unsigned char>(connack[3]);
  if (result.connack_code != 0) {
    result.error = "CONNACK refused the connection, return code " + std::to_string(result.connack_code);
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace callsignal::test

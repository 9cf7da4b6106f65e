#include "core/session/tls_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/session/credentials.h"

namespace callsignal {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status connect_with_deadline(int fd, const sockaddr* addr, socklen_t len, std::chrono::milliseconds timeout) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    return Status::error(Errc::broker_error, std::string("connect: ") + std::strerror(errno));
  }
  pollfd pfd{fd, POLLOUT, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready == 0) return Status::error(Errc::timeout, "TLS pin probe: TCP connect timed out");
  int error = 0;
  socklen_t error_len = sizeof(error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len);
  if (ready < 0 || error != 0) {
    return Status::error(Errc::broker_error, std::string("connect: ") + std::strerror(error ? error : errno));
  }
  ::fcntl(fd, F_SETFL, flags);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return Status::success();
}

Result<std::string> spki_sha256_base64(X509* cert) {
  unsigned char* der = nullptr;
  const int der_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (der_len <= 0) return Status::error(Errc::tls_error, "cannot encode the server public key");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(der_len), digest, &digest_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (!ok) return Status::error(Errc::internal, "SHA-256 failed");
  return base64_encode(digest, digest_len);
}


// A TCP connection with a deadline, and a TLS client on it.
struct Handshake {
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses{nullptr, ::freeaddrinfo};
  std::unique_ptr<Fd> fd;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{nullptr, SSL_CTX_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
};

Status open_tcp(Handshake& h, const BrokerAddress& address, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::error(Errc::broker_error, "cannot resolve " + address.host);
  }
  h.addresses.reset(found);
  // "localhost" may resolve to ::1 before 127.0.0.1: try each address, as Paho does.
  Status last = Status::error(Errc::broker_error, "no address for " + address.host);
  for (addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
    h.fd = std::make_unique<Fd>(::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC,
                                         candidate->ai_protocol));
    if (h.fd->get() < 0) {
      last = Status::error(Errc::io_error, std::string("socket: ") + std::strerror(errno));
      continue;
    }
    last = connect_with_deadline(h.fd->get(), candidate->ai_addr, candidate->ai_addrlen, timeout);
    if (last.ok()) return last;
  }
  return last;
}

std::string openssl_error_text() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "handshake failed";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Runs the handshake; `configure` sets up verification on the context and connection first.
template <typename Configure>
Status run_handshake(Handshake& h, const BrokerAddress& address, std::chrono::milliseconds timeout,
                     Configure configure) {
  if (Status s = open_tcp(h, address, timeout); !s.ok()) return s;
  h.ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!h.ctx) return Status::error(Errc::internal, "SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(h.ctx.get(), TLS1_2_VERSION);
  h.ssl.reset(SSL_new(h.ctx.get()));
  if (!h.ssl) return Status::error(Errc::internal, "SSL_new failed");
  // SSL_set_tlsext_host_name is a macro with a C cast: call what it expands to.
  SSL_ctrl(h.ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(address.host.c_str()));
  if (Status s = configure(h.ctx.get(), h.ssl.get()); !s.ok()) return s;
  SSL_set_fd(h.ssl.get(), h.fd->get());
  if (SSL_connect(h.ssl.get()) == 1) return Status::success();
  const long verify = SSL_get_verify_result(h.ssl.get());
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return Status::error(Errc::tls_error, std::string("certificate verification failed: ") +
                                              X509_verify_cert_error_string(verify));
  }
  return Status::error(Errc::tls_error, "TLS handshake with " + address.host + " failed: " + openssl_error_text());
}

Status load_trust(SSL_CTX* ctx, const TlsConfig& tls) {
  if (tls.ca_file.empty() && tls.ca_dir.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return Status::error(Errc::tls_error, "cannot load the system CA store");
    return Status::success();
  }
  const char* file = tls.ca_file.empty() ? nullptr : tls.ca_file.c_str();
  const char* dir = tls.ca_dir.empty() ? nullptr : tls.ca_dir.c_str();
  if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
    return Status::error(Errc::tls_error, "cannot load the CA file or directory: " + openssl_error_text());
  }
  return Status::success();
}

Status load_client_certificate(SSL* ssl, const TlsConfig& tls) {
  if (tls.client_cert_file.empty()) return Status::success();
  if (!tls.client_key_password.empty()) {
    SSL_set_default_passwd_cb_userdata(ssl, const_cast<char*>(tls.client_key_password.c_str()));
  }
  if (SSL_use_certificate_chain_file(ssl, tls.client_cert_file.c_str()) != 1 ||
      SSL_use_PrivateKey_file(ssl, tls.client_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::error(Errc::tls_error, "cannot load the client certificate or key: " + openssl_error_text());
  }
  return Status::success();
}

}  // namespace

Status verify_spki_pin(const BrokerAddress& address, const std::vector<std::string>& pins,
                       std::chrono::milliseconds timeout) {
  Handshake h;
  Status handshake = run_handshake(h, address, timeout, [](SSL_CTX*, SSL* ssl) {
    // Only the key is compared here; the chain and host name are verified by Paho's connection.
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return Status::success();
  });
  if (!handshake.ok()) return handshake;
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(h.ssl.get()), X509_free);
  SSL_shutdown(h.ssl.get());
  if (!cert) return Status::error(Errc::tls_error, "TLS pin: the server sent no certificate");
  auto fingerprint = spki_sha256_base64(cert.get());
  if (!fingerprint.ok()) return fingerprint.status();
  if (std::find(pins.begin(), pins.end(), fingerprint.value()) != pins.end()) return Status::success();
  return Status::error(Errc::tls_error, "TLS pin: the certificate key of " + address.host +
                                            " does not match any configured pin");
}

Status diagnose_tls(const BrokerAddress& address, const TlsConfig& tls, std::chrono::milliseconds timeout) {
  Handshake h;
  Status result = run_handshake(h, address, timeout, [&](SSL_CTX* ctx, SSL* ssl) {
    // The SSL object copied the context's settings when it was made: set them on it. The trust
    // store is shared by reference, so loading it into the context still counts.
    if (tls.insecure_skip_verify) {
      SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    } else {
      SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
      if (Status s = load_trust(ctx, tls); !s.ok()) return s;
      if (tls.verify_hostname) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        // An IP literal is matched against the certificate's IP SANs, a name against its DNS SANs.
        if (X509_VERIFY_PARAM_set1_ip_asc(param, address.host.c_str()) != 1) {
          X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
          X509_VERIFY_PARAM_set1_host(param, address.host.c_str(), address.host.size());
        }
      }
    }
    return load_client_certificate(ssl, tls);
  });
  if (result.ok()) SSL_shutdown(h.ssl.get());
  return result;
}

}  // namespace callsignal

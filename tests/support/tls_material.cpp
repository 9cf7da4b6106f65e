#include "support/tls_material.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

namespace callsignal::test {
namespace {

constexpr long kValidFromSecondsAgo = 3600;  // tolerate a little clock skew
constexpr long kValidSeconds = 7L * 24 * 3600;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// Throws with what failed and OpenSSL's queued error text.
[[noreturn]] void fail(const std::string& what) {
  std::string message = "TlsMaterial: " + what;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += std::string("; ") + buf;
  }
  throw std::runtime_error(message);
}

void check(int ok, const char* what) {
  if (ok <= 0) fail(what);
}

KeyPtr make_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("EC P-256 key generation");
  return key;
}

struct CertSpec {
  std::string common_name;
  std::vector<std::pair<int, std::string>> extensions;  // NID, OpenSSL config value
};

CertSpec ca_spec(const std::string& cn) {
  return {cn,
          {{NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}}};
}

CertSpec leaf_spec(const std::string& cn, const char* usage, const std::string& san) {
  CertSpec spec{cn,
                {{NID_basic_constraints, "critical,CA:FALSE"},
                 {NID_key_usage, "critical,digitalSignature"},
                 {NID_ext_key_usage, usage},
                 {NID_subject_key_identifier, "hash"},
                 {NID_authority_key_identifier, "keyid:always"}}};
  if (!san.empty()) spec.extensions.emplace_back(NID_subject_alt_name, san);
  return spec;
}

// Issues a certificate for `key`, signed by issuer_key; issuer_cert null means self-signed.
CertPtr issue(const CertSpec& spec, EVP_PKEY* key, X509* issuer_cert, EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

  // A random serial: verifiers cache by issuer+serial, and each run makes new certificates.
  unsigned char serial_bytes[8];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes), "RAND_bytes");
  serial_bytes[0] &= 0x7f;  // keep it positive
  BnPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) fail("serial number");

  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kValidFromSecondsAgo) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidSeconds))
    fail("validity");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0),
        "subject CN");
  check(X509_set_issuer_name(cert.get(), issuer_cert ? X509_get_subject_name(issuer_cert) : subject),
        "X509_set_issuer_name");

  // Extensions go in the spec's order: the subject key id must exist before a self-signed
  // certificate's authority key id can refer to it.
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : spec.extensions) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext) fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
    check(X509_add_ext(cert.get(), ext.get(), -1), "X509_add_ext");
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()), "X509_sign");
  return cert;
}

BioPtr open_for_writing(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) fail("open " + path);
  return bio;
}

void set_access(const std::string& path, mode_t mode) {
  if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod " + path + ": " + std::strerror(errno));
  give_to_mosquitto_if_root(path);
}

void write_cert(const std::string& path, X509* cert) {
  if (PEM_write_bio_X509(open_for_writing(path).get(), cert) != 1) fail("write " + path);
  set_access(path, 0644);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  BioPtr bio = open_for_writing(path);
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) fail("write " + path);
  bio.reset();  // flush and close before handing the file over
  set_access(path, 0600);
}

}  // namespace

std::string spki_pin(const x509_st* cert) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  if (len <= 0) fail("i2d_PUBKEY");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  int ok = EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  check(ok, "SHA-256 of SubjectPublicKeyInfo");
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int b64_len = EVP_EncodeBlock(b64, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<std::size_t>(b64_len));
}

TlsMaterial::TlsMaterial() : dir_("callsignal-tls-", DirOwner::mosquitto) {
  ca_cert = dir_.file("ca.crt");
  server_cert = dir_.file("server.crt");
  server_key = dir_.file("server.key");
  wrong_ca_cert = dir_.file("wrong_ca.crt");
  mismatch_server_cert = dir_.file("mismatch_server.crt");
  mismatch_server_key = dir_.file("mismatch_server.key");
  client_cert = dir_.file("client.crt");
  client_key = dir_.file("client.key");
  wrong_client_cert = dir_.file("wrong_client.crt");
  wrong_client_key = dir_.file("wrong_client.key");

  KeyPtr ca_key = make_key();
  CertPtr ca = issue(ca_spec("callsignal test CA"), ca_key.get(), nullptr, ca_key.get());
  write_cert(ca_cert, ca.get());

  KeyPtr wrong_ca_key = make_key();
  CertPtr wrong_ca = issue(ca_spec("callsignal wrong CA"), wrong_ca_key.get(), nullptr, wrong_ca_key.get());
  write_cert(wrong_ca_cert, wrong_ca.get());

  struct Leaf {
    CertSpec spec;
    X509* issuer;
    EVP_PKEY* issuer_key;
    const std::string& cert_path;
    const std::string& key_path;
    std::string* pin;
  };
  const Leaf leaves[] = {
      {leaf_spec("localhost", "serverAuth", "DNS:localhost,IP:127.0.0.1"), ca.get(), ca_key.get(), server_cert,
       server_key, &server_spki_pin},
      {leaf_spec("wrong.example", "serverAuth", "DNS:wrong.example"), ca.get(), ca_key.get(), mismatch_server_cert,
       mismatch_server_key, &mismatch_server_spki_pin},
      {leaf_spec("callsignal-test-client", "clientAuth", ""), ca.get(), ca_key.get(), client_cert, client_key,
       nullptr},
      {leaf_spec("callsignal-test-client", "clientAuth", ""), wrong_ca.get(), wrong_ca_key.get(),
       wrong_client_cert, wrong_client_key, nullptr},
  };
  for (const Leaf& leaf : leaves) {
    KeyPtr key = make_key();
    CertPtr cert = issue(leaf.spec, key.get(), leaf.issuer, leaf.issuer_key);
    write_cert(leaf.cert_path, cert.get());
    write_key(leaf.key_path, key.get());
    if (leaf.pin) *leaf.pin = spki_pin(cert.get());
  }
}

}  // namespace callsignal::test

#include "core/envelope/signing.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <new>
#include <sstream>

#include "core/session/credentials.h"

namespace callsignal {

namespace {

using KeyPtr = std::shared_ptr<EVP_PKEY>;

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

KeyPtr own(EVP_PKEY* key) { return KeyPtr(key, EVP_PKEY_free); }

// OpenSSL's default would prompt on the terminal for an encrypted key: refuse instead.
int no_passphrase(char*, int, int, void*) { return 0; }

// Failed OpenSSL calls leave entries on the thread's error queue; Paho's TLS code on the same
// thread would then see them as its own. Clear them whenever a call here failed.
struct ClearErrorsOnExit {
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(Errc::io_error, "key file: cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::error(Errc::io_error, "key file: cannot read " + path);
  return text.str();
}

BioPtr memory_bio(std::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Result<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return Status::error(Errc::internal, "PEM: OpenSSL wrote nothing");
  return std::string(data, static_cast<std::size_t>(size));
}

bool is_ed25519(const EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

Status check_key_id(std::string_view key_id) {
  if (!is_valid_key_id(key_id)) {
    return Status::error(Errc::invalid_argument, "key_id: must be 1..64 characters from [A-Za-z0-9._:-]");
  }
  return Status::success();
}

// Strict base64 of exactly `size` bytes: the canonical length with its padding, nothing else.
// OpenSSL's EVP_DecodeBlock does the decoding; it counts padding as zero bytes.
bool decode_base64_exact(std::string_view text, unsigned char* out, std::size_t size) {
  const std::size_t encoded = 4 * ((size + 2) / 3);
  const std::size_t padding = (3 - size % 3) % 3;
  if (text.size() != encoded) return false;
  for (std::size_t i = 0; i < encoded - padding; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  for (std::size_t i = encoded - padding; i < encoded; ++i) {
    if (text[i] != '=') return false;
  }
  unsigned char buffer[4 * 3 * 32];  // enough for the 64-byte signatures and 32-byte keys used here
  if (encoded / 4 * 3 > sizeof buffer) return false;
  const int n = EVP_DecodeBlock(buffer, reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(encoded));
  if (n != static_cast<int>(size + padding)) return false;
  std::copy(buffer, buffer + size, out);
  return true;
}

}  // namespace

// ---- Signer ----------------------------------------------------------------------------------

Signer::Signer(std::shared_ptr<evp_pkey_st> key, std::string key_id) noexcept
    : key_(std::move(key)), key_id_(std::move(key_id)) {}

Result<Signer> Signer::from_pem(std::string_view pem, std::string key_id) {
  ClearErrorsOnExit clear;
  Status id = check_key_id(key_id);
  if (!id.ok()) return id;
  BioPtr bio = memory_bio(pem);
  if (!bio) return Status::error(Errc::invalid_argument, "private key: too large");
  KeyPtr key = own(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return Status::error(Errc::invalid_argument, "private key: not an unencrypted PEM private key");
  if (!is_ed25519(key.get())) return Status::error(Errc::invalid_argument, "private key: not an Ed25519 key");
  return Signer(std::move(key), std::move(key_id));
}

Result<Signer> Signer::from_pem_file(const std::string& path, std::string key_id) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return from_pem(text.value(), std::move(key_id));
}

Result<Signer> Signer::generate(std::string key_id) {
  ClearErrorsOnExit clear;
  Status id = check_key_id(key_id);
  if (!id.ok()) return id;
  KeyPtr key = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Status::error(Errc::internal, "Ed25519 key generation failed in OpenSSL");
  return Signer(std::move(key), std::move(key_id));
}

Result<std::string> Signer::sign(std::string_view message_text) const {
  ClearErrorsOnExit clear;
  if (!key_) return Status::error(Errc::invalid_state, "signer: no key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char signature[kEd25519SignatureBytes];
  std::size_t size = sizeof signature;
  // Ed25519 hashes internally: no digest is given (NULL md), and the one-shot call is required.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &size, reinterpret_cast<const unsigned char*>(message_text.data()),
                     message_text.size()) != 1 ||
      size != sizeof signature) {
    return Status::error(Errc::internal, "Ed25519 signing failed in OpenSSL");
  }
  return base64_encode(signature, size);
}

EnvelopeResult<std::string> Signer::sign_frame(std::string_view message_text, const CodecLimits& limits) const {
  try {
    Result<std::string> sig = sign(message_text);
    if (!sig.ok()) return EnvelopeStatus::error(EnvelopeError::internal, "frame.sig: " + sig.status().message);
    return encode_frame(message_text, FrameSignature{key_id_, std::move(sig).value()}, limits);
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
  }
}

std::string Signer::public_key_base64() const {
  ClearErrorsOnExit clear;
  unsigned char raw[kEd25519PublicKeyBytes];
  std::size_t size = sizeof raw;
  if (!key_ || EVP_PKEY_get_raw_public_key(key_.get(), raw, &size) != 1 || size != sizeof raw) return {};
  return base64_encode(raw, size);
}

Result<std::string> Signer::public_key_pem() const {
  ClearErrorsOnExit clear;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key_ || !bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    return Status::error(Errc::internal, "public key: PEM encoding failed in OpenSSL");
  }
  return bio_text(bio.get());
}

Result<std::string> Signer::private_key_pem() const {
  ClearErrorsOnExit clear;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key_ || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::error(Errc::internal, "private key: PEM encoding failed in OpenSSL");
  }
  return bio_text(bio.get());
}

// ---- TrustedKeys -----------------------------------------------------------------------------

Status TrustedKeys::add(std::string key_id, std::shared_ptr<evp_pkey_st> key) {
  if (keys_.find(key_id) != keys_.end()) {
    return Status::error(Errc::invalid_argument, "key_id: \"" + key_id + "\" is already trusted");
  }
  keys_.emplace(std::move(key_id), std::move(key));
  return Status::success();
}

Status TrustedKeys::add_pem(std::string key_id, std::string_view pem) {
  ClearErrorsOnExit clear;
  Status id = check_key_id(key_id);
  if (!id.ok()) return id;
  BioPtr bio = memory_bio(pem);
  if (!bio) return Status::error(Errc::invalid_argument, "public key: too large");
  KeyPtr key = own(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return Status::error(Errc::invalid_argument, "public key: not a PEM public key");
  if (!is_ed25519(key.get())) return Status::error(Errc::invalid_argument, "public key: not an Ed25519 key");
  return add(std::move(key_id), std::move(key));
}

Status TrustedKeys::add_pem_file(std::string key_id, const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return add_pem(std::move(key_id), text.value());
}

Status TrustedKeys::add_base64(std::string key_id, std::string_view raw_key_base64) {
  ClearErrorsOnExit clear;
  Status id = check_key_id(key_id);
  if (!id.ok()) return id;
  unsigned char raw[kEd25519PublicKeyBytes];
  if (!decode_base64_exact(raw_key_base64, raw, sizeof raw)) {
    return Status::error(Errc::invalid_argument, "public key: must be base64 of 32 bytes (44 characters)");
  }
  KeyPtr key = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, sizeof raw));
  if (!key) return Status::error(Errc::invalid_argument, "public key: OpenSSL refused the raw Ed25519 key");
  return add(std::move(key_id), std::move(key));
}

bool TrustedKeys::remove(std::string_view key_id) {
  const auto it = keys_.find(key_id);
  if (it == keys_.end()) return false;
  keys_.erase(it);
  return true;
}

EnvelopeStatus TrustedKeys::verify(std::string_view key_id, std::string_view sig_base64,
                                   std::string_view message_text) const noexcept {
  try {
    const auto it = keys_.find(key_id);
    if (it == keys_.end()) {
      return EnvelopeStatus::error(EnvelopeError::unknown_key, "frame.kid: \"" + std::string(key_id) + "\" is not a trusted key");
    }
    unsigned char signature[kEd25519SignatureBytes];
    if (!decode_base64_exact(sig_base64, signature, sizeof signature)) {
      return EnvelopeStatus::error(EnvelopeError::bad_signature, "frame.sig: must be base64 of 64 bytes (88 characters)");
    }
    ClearErrorsOnExit clear;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, it->second.get()) != 1) {
      return EnvelopeStatus::error(EnvelopeError::internal, "frame.sig: OpenSSL could not set up Ed25519 verification");
    }
    const int verified = EVP_DigestVerify(ctx.get(), signature, sizeof signature,
                                          reinterpret_cast<const unsigned char*>(message_text.data()),
                                          message_text.size());
    if (verified != 1) {
      return EnvelopeStatus::error(EnvelopeError::bad_signature,
                                   "frame.sig: does not verify with key \"" + std::string(key_id) + "\"");
    }
    return EnvelopeStatus::success();
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
  }
}

// ---- verify_frame ----------------------------------------------------------------------------

EnvelopeStatus verify_frame(const Frame& frame, const Envelope& message, const TrustedKeys* trusted_keys,
                            std::string_view expected_recipient) noexcept {
  try {
    if (trusted_keys != nullptr && !trusted_keys->empty()) {
      if (!frame.is_signed()) {
        const bool own_drain = message.type == MessageType::drain && !expected_recipient.empty() &&
                               message.from == expected_recipient && message.to == expected_recipient;
        if (!own_drain) {
          return EnvelopeStatus::error(EnvelopeError::unsigned_message,
                                       "frame: no kid/sig, but signatures are required (" +
                                           std::to_string(trusted_keys->size()) + " trusted keys)");
        }
      } else {
        EnvelopeStatus verified = trusted_keys->verify(frame.kid, frame.sig, frame.msg);
        if (!verified.ok()) return verified;
      }
    }
    return check_recipient(message, expected_recipient);
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
  }
}

EnvelopeStatus check_recipient(const Envelope& message, std::string_view expected_recipient) noexcept {
  if (expected_recipient.empty() || message.to == expected_recipient) return EnvelopeStatus::success();
  try {
    const std::string shown = message.to.empty() ? "(none)" : "\"" + message.to + "\"";
    return EnvelopeStatus::error(EnvelopeError::wrong_recipient,
                                 "msg.to: " + shown + " is not this client (\"" + std::string(expected_recipient) + "\")");
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::wrong_recipient, "out of memory");
  }
}

}  // namespace callsignal

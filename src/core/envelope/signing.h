// Ed25519 (RFC 8032, pure, no pre-hash, no context) signatures over frames, via OpenSSL 3 EVP.
//
// The control service signs the exact bytes of every downlink message text (Frame::msg) with its
// current key; clients trust a set of public keys by key id, so keys can rotate (docs/protocol.md,
// "Signatures"). Key loading is configuration, so it reports common Status errors (Errc); checking a
// received frame reports EnvelopeError reasons.
//
// Thread-safety: Signer and TrustedKeys are safe to use from any number of threads through const
// members (OpenSSL keys are reference counted and read-only once loaded). Adding or removing trusted
// keys must not race with verification: build a new TrustedKeys and swap it in to rotate at runtime.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope.h"
#include "core/envelope/envelope_error.h"
#include "core/envelope/frame.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace callsignal {

inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

// Holds a private key and its key id. Copies share the key.
class Signer {
 public:
  // No key: sign() fails with invalid_state. Exists so Result<Signer> can hold one.
  Signer() = default;

  // A PEM private key ("BEGIN PRIVATE KEY", PKCS#8, unencrypted) for Ed25519. Errors:
  // invalid_argument (not PEM, encrypted, not Ed25519, key_id not a valid key id).
  static Result<Signer> from_pem(std::string_view pem, std::string key_id);
  // The same, read from a file. Errors: io_error (unreadable), then as from_pem.
  static Result<Signer> from_pem_file(const std::string& path, std::string key_id);
  // A fresh random key, for tests and development setups. Errors: invalid_argument (key_id),
  // internal (OpenSSL failed).
  static Result<Signer> generate(std::string key_id);

  const std::string& key_id() const noexcept { return key_id_; }

  // Base64 (standard, padded: 88 characters) of the signature over exactly `message_text`.
  // Errors: internal (OpenSSL failed).
  Result<std::string> sign(std::string_view message_text) const;
  // A signed frame carrying `message_text`: encode_frame(message_text, {key_id(), sign(...)}).
  // Errors: internal (signing failed), then those of encode_frame.
  EnvelopeResult<std::string> sign_frame(std::string_view message_text, const CodecLimits& limits = {}) const;

  // The public key as clients configure it: base64 of the raw 32 bytes (44 characters).
  std::string public_key_base64() const;
  // "BEGIN PUBLIC KEY" PEM (SubjectPublicKeyInfo). Errors: internal.
  Result<std::string> public_key_pem() const;
  // "BEGIN PRIVATE KEY" PEM (PKCS#8, unencrypted), for tools that write a key file. Errors: internal.
  Result<std::string> private_key_pem() const;

 private:
  Signer(std::shared_ptr<evp_pkey_st> key, std::string key_id) noexcept;

  std::shared_ptr<evp_pkey_st> key_;
  std::string key_id_;
};

// The public keys a client accepts signatures from, by key id.
class TrustedKeys {
 public:
  TrustedKeys() = default;

  // A "BEGIN PUBLIC KEY" PEM for Ed25519. Errors: invalid_argument (bad key id, key id already
  // present, not PEM, not Ed25519).
  Status add_pem(std::string key_id, std::string_view pem);
  // The same, read from a file. Errors: io_error, then as add_pem.
  Status add_pem_file(std::string key_id, const std::string& path);
  // Base64 (standard, padded) of the raw 32-byte public key. Errors: invalid_argument.
  Status add_base64(std::string key_id, std::string_view raw_key_base64);
  // Stops trusting `key_id`; false when it was not trusted.
  bool remove(std::string_view key_id);

  bool empty() const noexcept { return keys_.empty(); }
  std::size_t size() const noexcept { return keys_.size(); }
  bool contains(std::string_view key_id) const noexcept { return keys_.find(key_id) != keys_.end(); }

  // Checks `sig_base64` over exactly `message_text` with the key `key_id`. Errors: unknown_key,
  // bad_signature (not 88 characters of base64, or does not verify), internal (OpenSSL failed to
  // set up; counted as neither). Never throws.
  EnvelopeStatus verify(std::string_view key_id, std::string_view sig_base64,
                        std::string_view message_text) const noexcept;

 private:
  Status add(std::string key_id, std::shared_ptr<evp_pkey_st> key);

  std::map<std::string, std::shared_ptr<evp_pkey_st>, std::less<>> keys_;
};

// The recipient rule: with a non-empty expected_recipient, a message whose "to" differs (or is
// empty) is wrong_recipient. Empty expected_recipient: no check (the control service, tools).
EnvelopeStatus check_recipient(const Envelope& message, std::string_view expected_recipient) noexcept;

// The signature and recipient rules for a parsed frame and its message, as decode() applies them:
//  - with trusted keys: an unsigned frame is unsigned_message, an unknown kid unknown_key, a
//    signature that does not verify over frame.msg bad_signature (all three count as forged). One
//    exception: a "drain" marker the client sent to itself (from == to == expected_recipient) is
//    accepted unsigned, because clients hold no signing key; the caller must still check that its
//    id is the one it published (docs/protocol.md, "drain").
//  - without trusted keys (null or empty): signatures are not checked. Development only: anyone
//    allowed to publish on the P2P parent topic can then forge any message.
//  - then check_recipient(), so a captured message cannot be replayed to another device:
//    wrong_recipient means authentic but addressed to someone else.
// decode() checks a signed frame's signature before it parses the message (see decode.h); this
// function is for callers that hold both already. frame.msg is only read for signed frames.
EnvelopeStatus verify_frame(const Frame& frame, const Envelope& message, const TrustedKeys* trusted_keys,
                            std::string_view expected_recipient) noexcept;

}  // namespace callsignal

// Ed25519 signing of frames: RFC 8032 vectors, key loading, rotation, and the byte-exact rule.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/envelope/decode.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/signing.h"
#include "core/session/credentials.h"

using namespace callsignal;

namespace {

constexpr const char* kMe = "ios@@@bob";

const std::string kMsg =
    R"({"id":"00112233445566778899aabbccddeeff","type":"invite","from":"svc","to":"ios@@@bob",)"
    R"("ts":1714550400000,"ttl":30000,"call":"c1","body":{"role":"callee","caller":"alice",)"
    R"("callees":["bob"],"media":"audio","rtc":{"token":"t","channel":"caf\u00e9"}}})";

std::string bytes_of_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string b64(const std::string& bytes) {
  return base64_encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// PEM of a raw Ed25519 private key, built with OpenSSL directly (the API takes PEM only).
std::string private_pem_of_raw(const std::string& raw) {
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()),
                                   raw.size()),
      EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Signer make_signer(const std::string& kid) {
  Result<Signer> signer = Signer::generate(kid);
  REQUIRE(signer.ok());
  return signer.value();
}

DecodeOptions options_with(const TrustedKeys& keys) {
  DecodeOptions options;
  options.trusted_keys = &keys;
  options.expected_recipient = kMe;
  return options;
}

struct TempFile {
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/callsignal_envelope_keyXXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

}  // namespace

TEST_CASE("Ed25519 matches RFC 8032 test vectors 1 and 2", "[envelope]") {
  struct Vector {
    const char* secret;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const Vector& v : vectors) {
    const std::string message = bytes_of_hex(v.message);
    Result<Signer> signer = Signer::from_pem(private_pem_of_raw(bytes_of_hex(v.secret)), "rfc8032");
    REQUIRE(signer.ok());
    CHECK(signer->public_key_base64() == b64(bytes_of_hex(v.public_key)));
    Result<std::string> sig = signer->sign(message);
    REQUIRE(sig.ok());
    CHECK(sig.value() == b64(bytes_of_hex(v.signature)));  // Ed25519 is deterministic

    TrustedKeys keys;
    REQUIRE(keys.add_base64("rfc8032", b64(bytes_of_hex(v.public_key))).ok());
    CHECK(keys.verify("rfc8032", sig.value(), message).ok());
    CHECK(keys.verify("rfc8032", sig.value(), message + "x").code == EnvelopeError::bad_signature);
    CHECK(keys.verify("other", sig.value(), message).code == EnvelopeError::unknown_key);
  }
}

TEST_CASE("signed frames carry the key id and an 88-character signature", "[envelope]") {
  const Signer signer = make_signer("svc-2024.05");
  EnvelopeResult<std::string> frame = signer.sign_frame(kMsg);
  REQUIRE(frame.ok());
  EnvelopeResult<Frame> parsed = parse_frame(frame.value());
  REQUIRE(parsed.ok());
  CHECK(parsed->kid == "svc-2024.05");
  CHECK(parsed->sig.size() == 88);
  CHECK(parsed->msg == kMsg);
  CHECK(parsed->is_signed());
  CHECK(signer.public_key_base64().size() == 44);
  CHECK(Signer().sign("x").status().code == Errc::invalid_state);
}

TEST_CASE("key rotation: any trusted key verifies; a removed key no longer does", "[envelope]") {
  const Signer old_key = make_signer("svc-2024");
  const Signer new_key = make_signer("svc-2025");
  TrustedKeys keys;
  REQUIRE(keys.add_base64(old_key.key_id(), old_key.public_key_base64()).ok());
  REQUIRE(keys.add_base64(new_key.key_id(), new_key.public_key_base64()).ok());
  CHECK(keys.size() == 2);
  const DecodeOptions options = options_with(keys);

  EnvelopeResult<Decoded> by_old = decode(old_key.sign_frame(kMsg).value(), options);
  REQUIRE(by_old.ok());
  CHECK(by_old->key_id == "svc-2024");
  EnvelopeResult<Decoded> by_new = decode(new_key.sign_frame(kMsg).value(), options);
  REQUIRE(by_new.ok());
  CHECK(by_new->key_id == "svc-2025");

  CHECK(keys.remove("svc-2024"));
  CHECK_FALSE(keys.remove("svc-2024"));
  CHECK_FALSE(keys.contains("svc-2024"));
  CHECK(decode(old_key.sign_frame(kMsg).value(), options).code() == EnvelopeError::unknown_key);
  CHECK(decode(new_key.sign_frame(kMsg).value(), options).ok());
}

TEST_CASE("keys load from PEM text, PEM files and raw base64", "[envelope]") {
  const Signer original = make_signer("k1");
  Result<std::string> private_pem = original.private_key_pem();
  Result<std::string> public_pem = original.public_key_pem();
  REQUIRE(private_pem.ok());
  REQUIRE(public_pem.ok());
  CHECK(private_pem->rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(public_pem->rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);

  Result<Signer> reloaded = Signer::from_pem(private_pem.value(), "k1");
  REQUIRE(reloaded.ok());
  CHECK(reloaded->public_key_base64() == original.public_key_base64());

  const TempFile private_file(private_pem.value());
  const TempFile public_file(public_pem.value());
  Result<Signer> from_file = Signer::from_pem_file(private_file.path, "k1");
  REQUIRE(from_file.ok());
  CHECK(from_file->sign("m").value() == original.sign("m").value());

  TrustedKeys keys;
  REQUIRE(keys.add_pem("pem", public_pem.value()).ok());
  REQUIRE(keys.add_pem_file("file", public_file.path).ok());
  REQUIRE(keys.add_base64("raw", original.public_key_base64()).ok());
  const std::string sig = original.sign("m").value();
  for (const char* kid : {"pem", "file", "raw"}) CHECK(keys.verify(kid, sig, "m").ok());

  SECTION("refusals") {
    CHECK(Signer::from_pem_file("/nonexistent/key.pem", "k").status().code == Errc::io_error);
    CHECK(keys.add_pem_file("f2", "/nonexistent/key.pem").code == Errc::io_error);
    CHECK(Signer::from_pem("not a pem", "k").status().code == Errc::invalid_argument);
    CHECK(Signer::from_pem(public_pem.value(), "k").status().code == Errc::invalid_argument);
    CHECK(Signer::from_pem(private_pem.value(), "bad id!").status().code == Errc::invalid_argument);
    CHECK(Signer::generate("").status().code == Errc::invalid_argument);
    CHECK(keys.add_pem("p2", private_pem.value()).code == Errc::invalid_argument);
    CHECK(keys.add_base64("raw", original.public_key_base64()).code == Errc::invalid_argument);  // duplicate id
    CHECK(keys.add_base64("short", original.public_key_base64().substr(4)).code == Errc::invalid_argument);
    CHECK(keys.add_base64("chars", std::string(43, '*') + "=").code == Errc::invalid_argument);
    CHECK(keys.add_base64("unpadded", original.public_key_base64().substr(0, 43)).code == Errc::invalid_argument);
    CHECK(keys.add_base64("a b", original.public_key_base64()).code == Errc::invalid_argument);

    // A P-256 key in PEM: right format, wrong algorithm.
    std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                      EVP_PKEY_free);
    REQUIRE(ec);
    std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), BIO_free);
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), ec.get()) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    Status ec_status = keys.add_pem("ec", std::string(data, static_cast<std::size_t>(size)));
    CHECK(ec_status.code == Errc::invalid_argument);
    CHECK(ec_status.message == "public key: not an Ed25519 key");
    CHECK(keys.size() == 3);
  }
}

TEST_CASE("the signature covers the exact msg bytes: never re-serialized", "[envelope]") {
  const Signer signer = make_signer("k1");
  TrustedKeys keys;
  REQUIRE(keys.add_base64("k1", signer.public_key_base64()).ok());
  const DecodeOptions options = options_with(keys);
  const EnvelopeResult<Decoded> compact = decode(signer.sign_frame(kMsg).value(), options);
  REQUIRE(compact.ok());

  SECTION("whitespace and a different key order still verify: the bytes signed are the bytes read") {
    const std::string loose =
        "{\n  \"body\" : {\"rtc\":{\"channel\":\"caf\\u00e9\", \"token\":\"t\"}, \"media\":\"audio\", "
        "\"callees\":[ \"bob\" ], \"caller\":\"alice\", \"role\":\"callee\"},\n  \"call\":\"c1\", \"ttl\":30000, "
        "\"ts\":1714550400000, \"to\":\"ios@@@bob\", \"from\":\"svc\", \"type\":\"invite\",\n  "
        "\"id\":\"00112233445566778899aabbccddeeff\"\n}\n";
    const EnvelopeResult<Decoded> decoded = decode(signer.sign_frame(loose).value(), options);
    REQUIRE(decoded.ok());
    const Envelope& a = decoded->message;
    const Envelope& b = compact->message;
    CHECK((a.id == b.id && a.type == b.type && a.from == b.from && a.to == b.to && a.ts_ms == b.ts_ms &&
           a.ttl_ms == b.ttl_ms && a.call_id == b.call_id));
    CHECK(a.body.json() == b.body.json());  // RapidJSON's ==: members in any order
    CHECK_FALSE(a.body == b.body);          // Body's ==: the same JSON, in the same order
    CHECK(a.body.get_string_map("rtc").value().at("channel") == "caf\xC3\xA9");
  }

  SECTION("frame-level escaping may differ: the signature covers the text after unescaping") {
    std::string frame = signer.sign_frame(kMsg).value();
    // "svc" written as "\u0073vc" in the frame: the unescaped msg bytes are unchanged.
    const std::size_t at = frame.find("svc");
    REQUIRE(at != std::string::npos);
    frame.replace(at, 1, "\\u0073");
    CHECK(decode(frame, options).ok());
  }

  SECTION("a re-serialization of the same message does not verify with the original signature") {
    const std::string sig = signer.sign(kMsg).value();
    const std::string reencoded = encode_message(compact->message).value();
    REQUIRE(reencoded != kMsg);  // kMsg escapes é as \u00e9; the writer emits UTF-8
    const std::string frame = encode_frame(reencoded, FrameSignature{"k1", sig}).value();
    CHECK(decode(frame, options).code() == EnvelopeError::bad_signature);
  }

  SECTION("any single-byte change of msg fails") {
    const std::string sig = signer.sign(kMsg).value();
    RejectCounters counters;
    DecodeOptions counted = options;
    counted.counters = &counters;
    for (std::size_t i = 0; i < kMsg.size(); ++i) {
      for (const unsigned char flip : {0x01, 0x20, 0x80}) {
        std::string changed = kMsg;
        changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ flip);
        // A change that makes the text invalid UTF-8 cannot even be framed; the frame is built raw.
        EnvelopeResult<std::string> frame = encode_frame(changed, FrameSignature{"k1", sig});
        const std::string payload = frame.ok() ? frame.value() : R"({"v":1,"msg":")" + changed + "\"}";
        CAPTURE(i, int{flip});
        CHECK_FALSE(decode(payload, counted).ok());
      }
    }
    CHECK(counters.total() == kMsg.size() * 3);
    CHECK(counters.get(EnvelopeError::bad_signature) > kMsg.size() / 4);  // many changes still parse
  }
}

TEST_CASE("verification is safe from several threads at once", "[envelope]") {
  const Signer signer = make_signer("k1");
  TrustedKeys keys;
  REQUIRE(keys.add_base64("k1", signer.public_key_base64()).ok());
  const DecodeOptions options = options_with(keys);
  const std::string good = signer.sign_frame(kMsg).value();
  std::string bad = good;
  bad[bad.find("30000")] = '4';
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!decode(good, options).ok()) ++failures;
        if (decode(bad, options).code() != EnvelopeError::bad_signature) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failures.load() == 0);
}

#include "core/session/credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <climits>

namespace callsignal {
namespace {

Status missing(const char* field, const char* mode) {
  return Status::error(Errc::invalid_config, std::string(field) + ": required for " + mode);
}

}  // namespace

std::string base64_encode(const unsigned char* data, std::size_t size) {
  const std::size_t encoded_size = 4 * ((size + 2) / 3);
  std::string out(encoded_size + 1, '\0');  // EVP_EncodeBlock writes a terminating NUL
  // EVP_EncodeBlock takes an int length: encode in chunks that are a multiple of 3 bytes, so that
  // padding can only appear at the very end.
  constexpr std::size_t kChunk = 3 * 1024 * 1024;
  std::size_t in = 0;
  std::size_t written = 0;
  while (in < size) {
    const std::size_t n = size - in < kChunk ? size - in : kChunk;
    const int encoded = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[written]), data + in,
                                        static_cast<int>(n));
    written += static_cast<std::size_t>(encoded);
    in += n;
  }
  out.resize(encoded_size);
  return out;
}

Result<std::string> alibaba_signature(std::string_view access_key_secret, std::string_view client_id) {
  if (access_key_secret.empty()) {
    return Status::error(Errc::invalid_argument, "access_key_secret: must not be empty");
  }
  if (access_key_secret.size() > INT_MAX) {
    return Status::error(Errc::invalid_argument, "access_key_secret: too long");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const unsigned char* result =
      HMAC(EVP_sha1(), access_key_secret.data(), static_cast<int>(access_key_secret.size()),
           reinterpret_cast<const unsigned char*>(client_id.data()), client_id.size(), digest, &digest_size);
  if (result == nullptr || digest_size == 0) {
    return Status::error(Errc::internal, "HMAC-SHA1 failed in OpenSSL");
  }
  return base64_encode(digest, digest_size);
}

Result<Credentials> make_credentials(const AuthConfig& auth, std::string_view client_id) {
  Credentials credentials;
  switch (auth.mode) {
    case AuthMode::none:
      return credentials;

    case AuthMode::username_password:
      if (auth.username.empty()) return missing("auth.username", "username_password");
      credentials.username = auth.username;
      credentials.password = auth.password;
      return credentials;

    case AuthMode::alibaba_signature: {
      if (auth.access_key_id.empty()) return missing("auth.access_key_id", "alibaba_signature");
      if (auth.instance_id.empty()) return missing("auth.instance_id", "alibaba_signature");
      if (auth.access_key_secret.empty()) return missing("auth.access_key_secret", "alibaba_signature");
      Result<std::string> signature = alibaba_signature(auth.access_key_secret, client_id);
      if (!signature.ok()) return signature.status();
      credentials.username = "Signature|" + auth.access_key_id + "|" + auth.instance_id;
      credentials.password = std::move(signature).value();
      return credentials;
    }

    case AuthMode::alibaba_token:
      if (auth.access_key_id.empty()) return missing("auth.access_key_id", "alibaba_token");
      if (auth.instance_id.empty()) return missing("auth.instance_id", "alibaba_token");
      if (auth.token.empty()) return missing("auth.token", "alibaba_token");
      credentials.username = "Token|" + auth.access_key_id + "|" + auth.instance_id;
      credentials.password = "R|" + auth.token + "|W|" + auth.token;
      return credentials;
  }
  return Status::error(Errc::invalid_config,
                       "auth.mode: unknown value " + std::to_string(static_cast<int>(auth.mode)));
}

std::string alibaba_upload_token_payload(std::string_view token) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("token");
  writer.String(token.empty() ? "" : token.data(), static_cast<rapidjson::SizeType>(token.size()));
  writer.Key("type");
  writer.String("RW");
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace callsignal

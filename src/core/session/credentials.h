// MQTT username/password for each auth mode, including Alibaba Cloud's signature and token modes.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/session/session_config.h"

namespace callsignal {

struct Credentials {
  std::string username;  // empty: none sent
  std::string password;  // empty: none sent; never logged
};

// Base64(HMAC-SHA1(key = access_key_secret, data = client_id)), standard alphabet with padding.
Result<std::string> alibaba_signature(std::string_view access_key_secret, std::string_view client_id);

// Username and password for the configured mode and this client id. Errors: invalid_config
// (a field the mode needs is empty), internal (OpenSSL failed).
Result<Credentials> make_credentials(const AuthConfig& auth, std::string_view client_id);

// Payload for $SYS/uploadToken, which renews an Alibaba token on a live connection.
std::string alibaba_upload_token_payload(std::string_view token);

// Standard base64 with padding (used for signatures and pins).
std::string base64_encode(const unsigned char* data, std::size_t size);

}  // namespace callsignal

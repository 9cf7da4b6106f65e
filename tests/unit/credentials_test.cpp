#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <cstdio>
#include <string>

#include "core/session/credentials.h"

using namespace callsignal;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// What the openssl command line tool says the signature is.
std::string openssl_cli_signature(const std::string& secret, const std::string& client_id) {
  const std::string command = "printf '%s' " + shell_quote(client_id) + " | openssl dgst -sha1 -hmac " +
                              shell_quote(secret) + " -binary | base64";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[256];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  REQUIRE(::pclose(pipe) == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string b64(const std::string& s) {
  return base64_encode(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

}  // namespace

TEST_CASE("base64 matches RFC 4648's vectors", "[credentials]") {
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
  CHECK(b64(std::string("\0\xFF\xFE", 3)) == "AP/+");
}

TEST_CASE("alibaba signature: RFC 2202 HMAC-SHA1 vector", "[credentials]") {
  Result<std::string> signature = alibaba_signature("Jefe", "what do ya want for nothing?");
  REQUIRE(signature.ok());
  CHECK(signature.value() == "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

TEST_CASE("alibaba signature matches the openssl command line", "[credentials]") {
  struct Case {
    std::string secret;
    std::string client_id;
  };
  const Case cases[] = {
      {"secret", "GID_test@@@device-1"},
      {"AKsecret/+= with spaces and 'quotes'", "GID_android@@@a1:b2.c3"},
      {std::string(100, 'k'), "GID_x@@@y"},  // longer than SHA-1's block: the key is hashed first
      {"s", "g@@@" + std::string(60, 'd')},
  };
  for (const auto& c : cases) {
    INFO("secret \"" << c.secret << "\" client id \"" << c.client_id << "\"");
    Result<std::string> signature = alibaba_signature(c.secret, c.client_id);
    REQUIRE(signature.ok());
    CHECK(signature.value().size() == 28);  // 20 bytes of SHA-1, base64
    CHECK(signature.value() == openssl_cli_signature(c.secret, c.client_id));
  }
}

TEST_CASE("alibaba signature refuses an empty secret", "[credentials]") {
  Result<std::string> signature = alibaba_signature("", "GID_x@@@y");
  REQUIRE_FALSE(signature.ok());
  CHECK(signature.status().code == Errc::invalid_argument);
  CHECK(starts_with(signature.status().message, "access_key_secret: "));
}

TEST_CASE("make_credentials for each mode", "[credentials]") {
  AuthConfig auth;
  SECTION("none") {
    Result<Credentials> credentials = make_credentials(auth, "GID_x@@@y");
    REQUIRE(credentials.ok());
    CHECK(credentials->username.empty());
    CHECK(credentials->password.empty());
  }
  SECTION("username and password") {
    auth.mode = AuthMode::username_password;
    auth.username = "alice";
    auth.password = "pw";
    Result<Credentials> credentials = make_credentials(auth, "GID_x@@@y");
    REQUIRE(credentials.ok());
    CHECK(credentials->username == "alice");
    CHECK(credentials->password == "pw");
  }
  SECTION("alibaba signature") {
    auth.mode = AuthMode::alibaba_signature;
    auth.access_key_id = "LTAIak";
    auth.access_key_secret = "the-secret";
    auth.instance_id = "post-cn-123";
    Result<Credentials> credentials = make_credentials(auth, "GID_x@@@y");
    REQUIRE(credentials.ok());
    CHECK(credentials->username == "Signature|LTAIak|post-cn-123");
    CHECK(credentials->password == openssl_cli_signature("the-secret", "GID_x@@@y"));
  }
  SECTION("alibaba token") {
    auth.mode = AuthMode::alibaba_token;
    auth.access_key_id = "LTAIak";
    auth.instance_id = "post-cn-123";
    auth.token = "tok123";
    Result<Credentials> credentials = make_credentials(auth, "GID_x@@@y");
    REQUIRE(credentials.ok());
    CHECK(credentials->username == "Token|LTAIak|post-cn-123");
    CHECK(credentials->password == "R|tok123|W|tok123");
  }
}

TEST_CASE("make_credentials names the missing field", "[credentials]") {
  struct Case {
    AuthMode mode;
    std::string access_key_id, secret, instance_id, token, username;
    std::string field;
  };
  const Case cases[] = {
      {AuthMode::username_password, "", "", "", "", "", "auth.username"},
      {AuthMode::alibaba_signature, "", "s", "i", "", "", "auth.access_key_id"},
      {AuthMode::alibaba_signature, "a", "s", "", "", "", "auth.instance_id"},
      {AuthMode::alibaba_signature, "a", "", "i", "", "", "auth.access_key_secret"},
      {AuthMode::alibaba_token, "", "", "i", "t", "", "auth.access_key_id"},
      {AuthMode::alibaba_token, "a", "", "", "t", "", "auth.instance_id"},
      {AuthMode::alibaba_token, "a", "", "i", "", "", "auth.token"},
      {static_cast<AuthMode>(77), "", "", "", "", "", "auth.mode"},
  };
  for (const auto& c : cases) {
    AuthConfig auth;
    auth.mode = c.mode;
    auth.access_key_id = c.access_key_id;
    auth.access_key_secret = c.secret;
    auth.instance_id = c.instance_id;
    auth.token = c.token;
    auth.username = c.username;
    Result<Credentials> credentials = make_credentials(auth, "GID_x@@@y");
    REQUIRE_FALSE(credentials.ok());
    INFO(credentials.status().message);
    CHECK(credentials.status().code == Errc::invalid_config);
    CHECK(starts_with(credentials.status().message, c.field + ": "));
  }
}

TEST_CASE("upload token payload is JSON with the token escaped", "[credentials]") {
  CHECK(alibaba_upload_token_payload("abc") == R"({"token":"abc","type":"RW"})");
  CHECK(alibaba_upload_token_payload("") == R"({"token":"","type":"RW"})");

  const std::string nasty = std::string("q\"b\\s/\n\t\x01", 9) + std::string(1, '\0') + "end";
  const std::string payload = alibaba_upload_token_payload(nasty);
  CHECK(payload.find('\n') == std::string::npos);
  rapidjson::Document doc;
  doc.Parse(payload.data(), payload.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["token"].IsString());
  CHECK(std::string(doc["token"].GetString(), doc["token"].GetStringLength()) == nasty);
  CHECK(std::string(doc["type"].GetString()) == "RW");
}

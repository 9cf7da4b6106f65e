// cs_log_set_handler: install, replace (the old release once), level filter, and no secret in any
// log line or error message, whatever happens: create, connect, refused configs, failures.
#include <atomic>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "callsignal/callsignal.h"
#include "capi_support.h"
#include "support/shared_broker.h"

namespace callsignal::capi_test {
namespace {

struct LogLine {
  cs_log_level_t level;
  std::string text;
};

// A log handler's user_data: records lines and counts releases and late calls.
struct LogSink {
  EventLog<LogLine> lines;
  std::atomic<int> released{0};
  std::atomic<int> after_release{0};

  void install(cs_log_level_t min_level) {
    cs_log_set_handler(
        min_level,
        [](void* u, cs_log_level_t level, const char* message) {
          auto* self = static_cast<LogSink*>(u);
          if (self->released > 0) ++self->after_release;
          self->lines.push({level, message ? message : "<null>"});
        },
        this, [](void* u) { ++static_cast<LogSink*>(u)->released; });
  }
};

// Turns logging off when a test ends, so no handler outlives its sink.
struct LoggingOff {
  ~LoggingOff() { cs_log_set_handler(CS_LOG_OFF, nullptr, nullptr, nullptr); }
};

// Creates a client for a closed port, connects, waits for a failed attempt, destroys it: log
// traffic on every SDK thread (the caller's, the event thread, Paho's).
void fail_to_connect(TestOptions& options) {
  Recorder recorder;
  ClientPtr client = create_client(options, recorder);
  REQUIRE(cs_client_connect(client.get(), nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_DISCONNECTED));
  client.reset();
  CHECK(recorder.release_count() == 1);
}

const std::vector<std::string> kSecrets = {"pw-S3CRET-71b9", "aks-S3CRET-5c2e", "tok-S3CRET-e04d",
                                           "keypw-S3CRET-93aa", "tok-S3CRET-renewed-11f0"};

void check_no_secret(const std::string& text) {
  for (const std::string& secret : kSecrets) {
    INFO("text: " << text);
    CHECK(text.find(secret) == std::string::npos);
  }
}

void check_no_secret_logged(const LogSink& sink) {
  for (const LogLine& line : sink.lines.snapshot()) check_no_secret(line.text);
}

}  // namespace

TEST_CASE("log: lines reach the handler and replacing it releases the old one once", "[log]") {
  LoggingOff off;
  LogSink first;
  first.install(CS_LOG_DEBUG);
  TestOptions options;
  fail_to_connect(options);
  CHECK(first.lines.size() > 0);
  CHECK(first.released == 0);

  LogSink second;
  second.install(CS_LOG_DEBUG);
  CHECK(first.released == 1);
  const std::size_t first_count = first.lines.size();
  TestOptions more;
  fail_to_connect(more);
  CHECK(second.lines.size() > 0);
  CHECK(first.lines.size() == first_count);  // nothing more went to the replaced handler
  CHECK(first.after_release == 0);

  // Installing the same handler and user_data again is a replacement too.
  second.install(CS_LOG_DEBUG);
  CHECK(second.released == 1);

  cs_log_set_handler(CS_LOG_OFF, nullptr, nullptr, nullptr);
  CHECK(first.released == 1);
  CHECK(second.released == 2);
  const std::size_t second_count = second.lines.size();
  TestOptions silent;
  fail_to_connect(silent);
  CHECK(second.lines.size() == second_count);
  CHECK(second.after_release == 0);
}

TEST_CASE("log: lines below the minimum level are not delivered", "[log]") {
  LoggingOff off;
  LogSink all;
  all.install(CS_LOG_DEBUG);
  TestOptions options;
  fail_to_connect(options);
  auto levels = all.lines.snapshot();
  REQUIRE(!levels.empty());
  for (const LogLine& line : levels) {
    CHECK(line.level >= CS_LOG_DEBUG);
    CHECK(line.level <= CS_LOG_ERROR);
    CHECK(!line.text.empty());
  }

  LogSink warnings;
  warnings.install(CS_LOG_WARN);
  TestOptions again;
  fail_to_connect(again);
  for (const LogLine& line : warnings.lines.snapshot()) {
    INFO(line.text);
    CHECK(line.level >= CS_LOG_WARN);
  }
}

TEST_CASE("log: no secret in any log line or error message with failures included", "[log]") {
  LoggingOff off;
  LogSink sink;
  sink.install(CS_LOG_DEBUG);

  SECTION("username and password, connect refused") {
    TestOptions options;
    cs_client_options_t& o = options.options();
    o.auth.mode = CS_AUTH_USERNAME_PASSWORD;
    o.auth.username = "user";
    o.auth.password = kSecrets[0].c_str();
    Recorder recorder;
    cs_listener_t listener = recorder.listener();
    cs_client_t* client = nullptr;
    REQUIRE(cs_client_create(&o, &listener, &client, nullptr) == CS_OK);
    ClientPtr owned(client);
    REQUIRE(cs_client_connect(client, nullptr) == CS_OK);
    REQUIRE(recorder.wait_state(CS_CONNECTION_DISCONNECTED, 2));
    for (const ConnectionRecord& r : recorder.connection.snapshot()) check_no_secret(r.detail);
  }

  SECTION("Alibaba signature and token, connect refused, token renewed") {
    TestOptions options;
    cs_client_options_t& o = options.options();
    o.broker_profile = CS_BROKER_ALIBABA;
    o.auth.mode = CS_AUTH_ALIBABA_SIGNATURE;
    o.auth.access_key_id = "LTAIkey";
    o.auth.access_key_secret = kSecrets[1].c_str();
    o.auth.instance_id = "mqtt-cn-test";
    Recorder recorder;
    cs_listener_t listener = recorder.listener();
    cs_client_t* client = nullptr;
    cs_error_t err{};
    INFO(err.message);
    REQUIRE(cs_client_create(&o, &listener, &client, &err) == CS_OK);
    ClientPtr owned(client);
    REQUIRE(cs_client_connect(client, nullptr) == CS_OK);
    REQUIRE(recorder.wait_state(CS_CONNECTION_DISCONNECTED));

    TestOptions token_options;
    cs_client_options_t& t = token_options.options();
    t.broker_profile = CS_BROKER_ALIBABA;
    t.auth.mode = CS_AUTH_ALIBABA_TOKEN;
    t.auth.access_key_id = "LTAIkey";
    t.auth.instance_id = "mqtt-cn-test";
    t.auth.token = kSecrets[2].c_str();
    Recorder token_recorder;
    listener = token_recorder.listener();
    cs_client_t* token_client = nullptr;
    REQUIRE(cs_client_create(&t, &listener, &token_client, &err) == CS_OK);
    ClientPtr token_owned(token_client);
    REQUIRE(cs_client_connect(token_client, nullptr) == CS_OK);
    REQUIRE(token_recorder.wait_state(CS_CONNECTION_DISCONNECTED));
    err = cs_error_t{};
    CHECK(cs_client_renew_token(token_client, kSecrets[4].c_str(), &err) == CS_OK);
    REQUIRE(token_recorder.wait_state(CS_CONNECTION_DISCONNECTED, 2));
    // A token with a '|' is refused; the message must not quote it.
    const std::string bad_token = kSecrets[4] + "|x";
    err = cs_error_t{};
    int rc = cs_client_renew_token(token_client, bad_token.c_str(), &err);
    if (rc != CS_OK) check_no_secret(err.message);
  }

  SECTION("TLS client key password, key files unreadable") {
    TestOptions options("ssl://127.0.0.1:1");
    cs_client_options_t& o = options.options();
    o.tls.enabled = 1;
    o.tls.client_cert_file = "/nonexistent/cert.pem";
    o.tls.client_key_file = "/nonexistent/key.pem";
    o.tls.client_key_password = kSecrets[3].c_str();
    Recorder recorder;
    cs_listener_t listener = recorder.listener();
    cs_client_t* client = nullptr;
    cs_error_t err{};
    int rc = cs_client_create(&o, &listener, &client, &err);
    ClientPtr owned(client);
    CHECK(rc == CS_E_TLS);
    check_no_secret(err.message);
  }

  SECTION("refused configs with every secret set") {
    TestOptions options;
    cs_client_options_t& o = options.options();
    o.auth.mode = CS_AUTH_USERNAME_PASSWORD;
    o.auth.username = "user";
    o.auth.password = kSecrets[0].c_str();
    o.auth.access_key_secret = kSecrets[1].c_str();
    o.auth.token = kSecrets[2].c_str();
    o.tls.client_key_password = kSecrets[3].c_str();
    for (int spoil = 0; spoil < 4; ++spoil) {
      cs_client_options_t bad = o;
      if (spoil == 0) bad.group_id = nullptr;
      if (spoil == 1) bad.auth.mode = CS_AUTH_ALIBABA_TOKEN;  // no instance id
      if (spoil == 2) bad.auth.username = "us\xff" "er";
      if (spoil == 3) bad.tls.client_key_password = "x";  // with neither cert nor key
      Recorder recorder;
      cs_listener_t listener = recorder.listener();
      cs_client_t* client = nullptr;
      cs_error_t err{};
      int rc = cs_client_create(&bad, &listener, &client, &err);
      ClientPtr owned(client);
      INFO("spoil " << spoil << ": " << err.message);
      CHECK(rc != CS_OK);
      check_no_secret(err.message);
    }
  }

  check_no_secret_logged(sink);
}

TEST_CASE("log: no secret logged while connected with a password and renewing a token", "[log][broker]") {
  LoggingOff off;
  LogSink sink;
  sink.install(CS_LOG_DEBUG);
  TestOptions options(test::shared_broker_uri());
  cs_client_options_t& o = options.options();
  o.auth.mode = CS_AUTH_USERNAME_PASSWORD;
  o.auth.username = "user";
  o.auth.password = kSecrets[0].c_str();
  Recorder recorder;
  cs_listener_t listener = recorder.listener();
  cs_client_t* client = nullptr;
  REQUIRE(cs_client_create(&o, &listener, &client, nullptr) == CS_OK);
  ClientPtr owned(client);
  REQUIRE(cs_client_connect(client, nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED));
  REQUIRE(cs_client_network_changed(client, nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED, 2));
  owned.reset();
  CHECK(sink.lines.size() > 0);
  check_no_secret_logged(sink);
}

}  // namespace callsignal::capi_test

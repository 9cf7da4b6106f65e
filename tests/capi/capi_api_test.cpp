// The C ABI without a broker: every function, its misuse, its error codes and messages, and the
// listener's release. Clients here point at a closed port and never connect (or never try).
#include <atomic>
#include <climits>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "callsignal/callsignal.h"
#include "capi_support.h"
#include "support/temp_dir.h"

namespace callsignal::capi_test {
namespace {

// A sentinel that no function writes on success.
constexpr int kUntouched = 0x5eed;

cs_error_t fresh_error() {
  cs_error_t err{};
  err.code = kUntouched;
  std::strcpy(err.message, "untouched");
  return err;
}

bool contains(const char* haystack, const std::string& needle) { return std::strstr(haystack, needle.c_str()) != nullptr; }

// Checks a failure: the code returned and in err, and a message naming `field` (when given).
void check_failure(int rc, const cs_error_t& err, int code, const std::string& field = "") {
  INFO("rc=" << rc << " (" << cs_strerror(rc) << "), err.code=" << err.code << ", err.message=\"" << err.message << "\"");
  CHECK(rc == code);
  CHECK(err.code == code);
  CHECK(std::strlen(err.message) > 0);
  CHECK(std::strlen(err.message) < CS_ERROR_MESSAGE_SIZE);
  CHECK(std::string(err.message) != "untouched");
  if (!field.empty()) CHECK(contains(err.message, field));
}

// A client command run with otherwise valid arguments.
struct Command {
  const char* name;
  std::function<int(cs_client_t*, cs_error_t*)> run;
};

// Every command that names a call, run on `call_id`.
std::vector<Command> call_commands(const std::string& call_id) {
  static const char* const users[] = {"carol"};
  return {
      {"accept", [=](cs_client_t* c, cs_error_t* e) { return cs_client_accept(c, call_id.c_str(), e); }},
      {"reject", [=](cs_client_t* c, cs_error_t* e) { return cs_client_reject(c, call_id.c_str(), nullptr, e); }},
      {"cancel", [=](cs_client_t* c, cs_error_t* e) { return cs_client_cancel(c, call_id.c_str(), e); }},
      {"hangup", [=](cs_client_t* c, cs_error_t* e) { return cs_client_hangup(c, call_id.c_str(), e); }},
      {"invite", [=](cs_client_t* c, cs_error_t* e) { return cs_client_invite(c, call_id.c_str(), users, 1, e); }},
      {"request_mute",
       [=](cs_client_t* c, cs_error_t* e) { return cs_client_request_mute(c, call_id.c_str(), "alice", 1, 0, e); }},
      {"kick", [=](cs_client_t* c, cs_error_t* e) { return cs_client_kick(c, call_id.c_str(), "alice", e); }},
      {"end_for_all", [=](cs_client_t* c, cs_error_t* e) { return cs_client_end_for_all(c, call_id.c_str(), e); }},
      {"rtc_joined", [=](cs_client_t* c, cs_error_t* e) { return cs_client_rtc_joined(c, call_id.c_str(), e); }},
      {"rtc_left", [=](cs_client_t* c, cs_error_t* e) { return cs_client_rtc_left(c, call_id.c_str(), e); }},
      {"rtc_failed",
       [=](cs_client_t* c, cs_error_t* e) { return cs_client_rtc_failed(c, call_id.c_str(), nullptr, e); }},
      {"rtc_token_expiring",
       [=](cs_client_t* c, cs_error_t* e) { return cs_client_rtc_token_expiring(c, call_id.c_str(), e); }},
  };
}

// Every function that takes a client handle, with valid other arguments.
std::vector<Command> all_commands() {
  static const char* const callees[] = {"alice"};
  std::vector<Command> commands = call_commands("c-1");
  commands.push_back({"connect", [](cs_client_t* c, cs_error_t* e) { return cs_client_connect(c, e); }});
  commands.push_back({"disconnect", [](cs_client_t* c, cs_error_t* e) { return cs_client_disconnect(c, e); }});
  commands.push_back({"start_call", [](cs_client_t* c, cs_error_t* e) {
                        cs_call_options_t o = CS_CALL_OPTIONS_INIT;
                        o.callees = callees;
                        o.callee_count = 1;
                        char id[CS_CALL_ID_SIZE];
                        return cs_client_start_call(c, &o, id, e);
                      }});
  commands.push_back({"app_foreground", [](cs_client_t* c, cs_error_t* e) { return cs_client_app_foreground(c, e); }});
  commands.push_back({"app_background", [](cs_client_t* c, cs_error_t* e) { return cs_client_app_background(c, e); }});
  commands.push_back(
      {"network_changed", [](cs_client_t* c, cs_error_t* e) { return cs_client_network_changed(c, e); }});
  commands.push_back(
      {"push_received", [](cs_client_t* c, cs_error_t* e) { return cs_client_push_received(c, "{}", 2, e); }});
  commands.push_back({"renew_token", [](cs_client_t* c, cs_error_t* e) { return cs_client_renew_token(c, "t", e); }});
  commands.push_back({"get_stats", [](cs_client_t* c, cs_error_t* e) {
                        cs_stats_t s = CS_STATS_INIT;
                        return cs_client_get_stats(c, &s, e);
                      }});
  return commands;
}

// cs_client_create's outcome with the release count it caused.
struct CreateOutcome {
  int rc;
  cs_error_t err;
  cs_client_t* client;
  int releases;
};

CreateOutcome try_create(const cs_client_options_t* options, bool with_listener = true) {
  Recorder recorder;
  cs_listener_t listener = recorder.listener();
  CreateOutcome out{};
  out.err = fresh_error();
  out.client = reinterpret_cast<cs_client_t*>(&out);  // must be reset to NULL on failure
  out.rc = cs_client_create(options, with_listener ? &listener : nullptr, &out.client, &out.err);
  if (out.rc == CS_OK) cs_client_destroy(out.client);
  out.releases = recorder.release_count();
  if (out.rc == CS_OK) CHECK(out.releases == 1);
  return out;
}

void check_create_fails(const cs_client_options_t& options, int code, const std::string& field) {
  CreateOutcome out = try_create(&options);
  check_failure(out.rc, out.err, code, field);
  CHECK(out.client == nullptr);
  CHECK(out.releases == 1);  // the listener was read: released once
}

// A signed-in client that never connects (the broker URI is a closed port).
struct OfflineClient {
  TestOptions options;
  Recorder recorder;
  ClientPtr client;
  OfflineClient() : client(create_client(options, recorder)) {}
};

// An outgoing call queued offline: its request id.
std::string start_offline_call(cs_client_t* client, const char* callee = "alice") {
  const char* callees[] = {callee};
  cs_call_options_t o = CS_CALL_OPTIONS_INIT;
  o.callees = callees;
  o.callee_count = 1;
  char id[CS_CALL_ID_SIZE];
  std::memset(id, 'x', sizeof id);
  cs_error_t err = fresh_error();
  int rc = cs_client_start_call(client, &o, id, &err);
  INFO(err.message);
  REQUIRE(rc == CS_OK);
  REQUIRE(err.code == kUntouched);
  REQUIRE(std::memchr(id, '\0', sizeof id) != nullptr);
  REQUIRE(std::strlen(id) > 0);
  return id;
}

// An invite pushed in as an OS push would bring it: the call rings here.
void ring(OfflineClient& device, const std::string& call_id) {
  std::string frame = service_frame("invite", device.options.client_id(), call_id);
  cs_error_t err = fresh_error();
  REQUIRE(cs_client_push_received(device.client.get(), frame.data(), frame.size(), &err) == CS_OK);
  REQUIRE(device.recorder.wait_call_state(call_id, CS_CALL_INCOMING));
}

// struct_size values a caller may wrongly pass for a struct of `size` bytes: tiny ones, one byte
// short or over, and a larger future version.
std::vector<std::size_t> wrong_struct_sizes(std::size_t size) { return {0, 1, 4, size - 1, size + 1, size + 64}; }

}  // namespace

TEST_CASE("version: cs_version and cs_version_number match the header", "[api]") {
  REQUIRE(cs_version() != nullptr);
  CHECK(std::string(cs_version()) == CALLSIGNAL_VERSION_STRING);
  CHECK(cs_version_number() == CALLSIGNAL_VERSION_NUMBER);
  CHECK(cs_version() == cs_version());  // static
}

TEST_CASE("strerror: a distinct name for every code and 'unknown error' otherwise", "[api]") {
  std::vector<std::string> names;
  for (int code = CS_OK; code <= CS_E_UNKNOWN_CALL; ++code) {
    const char* name = cs_strerror(code);
    REQUIRE(name != nullptr);
    INFO("code " << code << ": " << name);
    CHECK(std::strlen(name) > 0);
    CHECK(std::string(name) != "unknown error");
    CHECK(std::find(names.begin(), names.end(), name) == names.end());
    names.push_back(name);
  }
  CHECK(std::string(cs_strerror(CS_E_INVALID_ARGUMENT)) == "invalid argument");
  for (int code : {-1, CS_E_UNKNOWN_CALL + 1, 100, INT_MAX, INT_MIN}) {
    REQUIRE(cs_strerror(code) != nullptr);
    CHECK(std::string(cs_strerror(code)) == "unknown error");
  }
}

TEST_CASE("names: every enum value has a distinct name and out of range is 'unknown'", "[api]") {
  auto check_names = [](auto name_of, int first, int last, std::vector<int> out_of_range) {
    std::vector<std::string> seen;
    for (int v = first; v <= last; ++v) {
      const char* name = name_of(v);
      REQUIRE(name != nullptr);
      INFO("value " << v << ": " << name);
      CHECK(std::string(name) != "unknown");
      CHECK(std::strlen(name) > 0);
      CHECK(std::find(seen.begin(), seen.end(), name) == seen.end());
      seen.push_back(name);
    }
    for (int v : out_of_range) {
      REQUIRE(name_of(v) != nullptr);
      CHECK(std::string(name_of(v)) == "unknown");
    }
  };
  check_names([](int v) { return cs_call_state_name(static_cast<cs_call_state_t>(v)); }, CS_CALL_IDLE, CS_CALL_ENDED,
              {-1, CS_CALL_ENDED + 1, 1000});
  check_names([](int v) { return cs_end_reason_name(static_cast<cs_end_reason_t>(v)); }, CS_END_NONE, CS_END_GLARE,
              {-2, CS_END_GLARE + 1, 1000});
  check_names([](int v) { return cs_connection_state_name(static_cast<cs_connection_state_t>(v)); },
              CS_CONNECTION_IDLE, CS_CONNECTION_CLOSED, {-1, CS_CONNECTION_CLOSED + 1});
  check_names([](int v) { return cs_participant_state_name(static_cast<cs_participant_state_t>(v)); },
              CS_PARTICIPANT_INVITED, CS_PARTICIPANT_LEFT, {-1, CS_PARTICIPANT_LEFT + 1});
  // The names the header quotes.
  CHECK(std::string(cs_call_state_name(CS_CALL_ACTIVE)) == "active");
  CHECK(std::string(cs_end_reason_name(CS_END_ANSWERED_ELSEWHERE)) == "answered_elsewhere");
}

TEST_CASE("destroy: NULL is a no-op", "[api]") {
  cs_client_destroy(nullptr);
  SUCCEED();
}

TEST_CASE("destroy: a destroyed handle is refused afterwards and destroying it again is a no-op", "[api]") {
  TestOptions options;
  Recorder recorder;
  cs_client_t* stale = create_client(options, recorder).release();
  cs_client_destroy(stale);
  REQUIRE(recorder.release_count() == 1);
  // No client was created since: the address cannot have been reused by a newer one.
  for (const Command& command : all_commands()) {
    INFO(command.name);
    cs_error_t err = fresh_error();
    check_failure(command.run(stale, &err), err, CS_E_INVALID_ARGUMENT);
  }
  cs_client_destroy(stale);
  CHECK(recorder.release_count() == 1);
  CHECK(recorder.after_release == 0);
}

// The header: "a call racing destroy on another thread finishes safely (CS_E_CLOSED or its
// result)". One thread runs commands in a loop while another destroys; under ASan a use after
// free would stop the test.
TEST_CASE("destroy: commands racing destroy on another thread finish safely", "[api]") {
  for (int round = 0; round < 50; ++round) {
    TestOptions options;
    Recorder recorder;
    cs_client_t* client = create_client(options, recorder).release();
    const std::string invite = service_frame("invite", options.client_id(), "c-race-" + std::to_string(round));
    std::atomic<int> calls{0};
    std::atomic<int> unexpected{0};
    std::atomic<int> last_unexpected{CS_OK};
    std::thread caller([&] {
      for (std::size_t i = 0;; ++i) {
        int rc = CS_OK;
        switch (i % 4) {
          case 0: {
            cs_stats_t s = CS_STATS_INIT;
            rc = cs_client_get_stats(client, &s, nullptr);
            break;
          }
          case 1:
            rc = cs_client_push_received(client, invite.data(), invite.size(), nullptr);
            break;
          case 2:
            rc = cs_client_accept(client, "c-race-x", nullptr);
            break;
          default:
            rc = cs_client_app_foreground(client, nullptr);
            break;
        }
        ++calls;
        if (rc == CS_E_INVALID_ARGUMENT) return;  // destroy is over: the handle is refused
        if (rc != CS_OK && rc != CS_E_CLOSED && rc != CS_E_UNKNOWN_CALL) {
          ++unexpected;
          last_unexpected = rc;
        }
      }
    });
    test::Deadline deadline(kWait);
    while (calls < 20 && !deadline.expired()) std::this_thread::yield();
    cs_client_destroy(client);
    caller.join();
    INFO("round " << round << ", last unexpected code " << last_unexpected);
    CHECK(unexpected == 0);
    CHECK(recorder.release_count() == 1);
    CHECK(recorder.inside == 0);
  }
}

TEST_CASE("null handle: every function refuses it with invalid argument and err may be NULL", "[api]") {
  for (const Command& command : all_commands()) {
    INFO(command.name);
    cs_error_t err = fresh_error();
    check_failure(command.run(nullptr, &err), err, CS_E_INVALID_ARGUMENT);
    CHECK(command.run(nullptr, nullptr) == CS_E_INVALID_ARGUMENT);
  }
  cs_connection_state_t state = cs_client_connection_state(nullptr);  // no crash; any state
  CHECK(std::string(cs_connection_state_name(state)) != "unknown");
}

// The release policy on failure: the listener is read (and so released, once) unless it is NULL,
// has a bad struct_size, or there is nowhere to put the client (out NULL). The header says
// "after reading the listener"; an app can only free its user_data correctly if it knows which.
TEST_CASE("create: NULL options or listener or out is invalid argument", "[api]") {
  TestOptions options;
  {
    Recorder recorder;
    cs_listener_t listener = recorder.listener();
    cs_client_t* client = reinterpret_cast<cs_client_t*>(&recorder);
    cs_error_t err = fresh_error();
    check_failure(cs_client_create(nullptr, &listener, &client, &err), err, CS_E_INVALID_ARGUMENT, "options");
    CHECK(client == nullptr);
    CHECK(recorder.release_count() == 1);  // the listener was read
  }
  {
    cs_client_t* client = reinterpret_cast<cs_client_t*>(&options);
    cs_error_t err = fresh_error();
    check_failure(cs_client_create(&options.options(), nullptr, &client, &err), err, CS_E_INVALID_ARGUMENT,
                  "listener");
    CHECK(client == nullptr);
  }
  {
    Recorder recorder;
    cs_listener_t listener = recorder.listener();
    cs_error_t err = fresh_error();
    check_failure(cs_client_create(&options.options(), &listener, nullptr, &err), err, CS_E_INVALID_ARGUMENT, "out");
    CHECK(recorder.release_count() == 0);  // nothing to hand the client to: the listener stays the app's
  }
  {
    // err NULL is allowed.
    Recorder recorder;
    cs_listener_t listener = recorder.listener();
    cs_client_t* client = nullptr;
    CHECK(cs_client_create(nullptr, &listener, &client, nullptr) == CS_E_INVALID_ARGUMENT);
    CHECK(recorder.release_count() == 1);
  }
}

TEST_CASE("create: a valid config succeeds and leaves err untouched and destroy releases once", "[api]") {
  TestOptions options;
  Recorder recorder;
  cs_listener_t listener = recorder.listener();
  cs_client_t* client = nullptr;
  cs_error_t err = fresh_error();
  REQUIRE(cs_client_create(&options.options(), &listener, &client, &err) == CS_OK);
  REQUIRE(client != nullptr);
  CHECK(err.code == kUntouched);
  CHECK(std::string(err.message) == "untouched");
  CHECK(cs_client_connection_state(client) == CS_CONNECTION_IDLE);
  CHECK(recorder.release_count() == 0);
  cs_client_destroy(client);
  CHECK(recorder.release_count() == 1);
  auto released = recorder.released_on.snapshot();
  CHECK(released.at(0) == std::this_thread::get_id());  // on the destroying thread
  CHECK(recorder.after_release == 0);
}

TEST_CASE("create: the listener struct is copied and callbacks may all be NULL", "[api]") {
  TestOptions options;
  cs_listener_t listener = CS_LISTENER_INIT;
  cs_client_t* client = nullptr;
  REQUIRE(cs_client_create(&options.options(), &listener, &client, nullptr) == CS_OK);
  listener.struct_size = 0;  // the client holds a copy: changing ours changes nothing
  std::string id = start_offline_call(client);
  CHECK(cs_client_cancel(client, id.c_str(), nullptr) == CS_OK);
  cs_client_destroy(client);
}

TEST_CASE("struct_size: wrong sizes of options and listener and call options and stats are invalid argument", "[api]") {

  SECTION("client options") {
    struct {
      cs_client_options_t options;
      unsigned char slack[64];
    } padded{};
    TestOptions options;
    padded.options = options.options();
    const std::vector<std::size_t> sizes = wrong_struct_sizes(sizeof(cs_client_options_t));
    for (std::size_t size : sizes) {
      INFO("struct_size " << size);
      padded.options.struct_size = static_cast<uint32_t>(size);
      CreateOutcome out = try_create(&padded.options);
      check_failure(out.rc, out.err, CS_E_INVALID_ARGUMENT, "struct_size");
      CHECK(out.client == nullptr);
      CHECK(out.releases == 1);
    }
  }

  SECTION("listener") {
    TestOptions options;
    const std::vector<std::size_t> sizes = wrong_struct_sizes(sizeof(cs_listener_t));
    for (std::size_t size : sizes) {
      INFO("struct_size " << size);
      Recorder recorder;
      struct {
        cs_listener_t listener;
        unsigned char slack[64];
      } padded{};
      padded.listener = recorder.listener();
      padded.listener.struct_size = static_cast<uint32_t>(size);
      cs_client_t* client = reinterpret_cast<cs_client_t*>(&recorder);
      cs_error_t err = fresh_error();
      check_failure(cs_client_create(&options.options(), &padded.listener, &client, &err), err,
                    CS_E_INVALID_ARGUMENT, "struct_size");
      CHECK(client == nullptr);
      CHECK(recorder.release_count() == 0);  // a listener of the wrong size is not read
    }
  }

  SECTION("call options and stats") {
    OfflineClient device;
    const char* callees[] = {"alice"};
    const std::vector<std::size_t> call_sizes = wrong_struct_sizes(sizeof(cs_call_options_t));
    for (std::size_t size : call_sizes) {
      INFO("call options struct_size " << size);
      struct {
        cs_call_options_t options;
        unsigned char slack[64];
      } padded{};
      padded.options = CS_CALL_OPTIONS_INIT;
      padded.options.callees = callees;
      padded.options.callee_count = 1;
      padded.options.struct_size = static_cast<uint32_t>(size);
      cs_error_t err = fresh_error();
      check_failure(cs_client_start_call(device.client.get(), &padded.options, nullptr, &err), err,
                    CS_E_INVALID_ARGUMENT, "struct_size");
    }
    // Nothing was started: a valid call goes through.
    start_offline_call(device.client.get());

    const std::vector<std::size_t> stats_sizes = wrong_struct_sizes(sizeof(cs_stats_t));
    for (std::size_t size : stats_sizes) {
      INFO("stats struct_size " << size);
      struct {
        cs_stats_t stats;
        unsigned char slack[64];
      } padded;
      std::memset(&padded, 0xab, sizeof padded);
      padded.stats.struct_size = static_cast<uint32_t>(size);
      cs_error_t err = fresh_error();
      check_failure(cs_client_get_stats(device.client.get(), &padded.stats, &err), err, CS_E_INVALID_ARGUMENT,
                    "struct_size");
      for (unsigned char b : padded.slack) REQUIRE(b == 0xab);  // nothing written past the struct
    }
    CHECK(cs_client_start_call(device.client.get(), nullptr, nullptr, nullptr) == CS_E_INVALID_ARGUMENT);
    CHECK(cs_client_get_stats(device.client.get(), nullptr, nullptr) == CS_E_INVALID_ARGUMENT);
  }
}

TEST_CASE("create: invalid UTF-8 in any option string is invalid argument naming the field", "[api]") {
  struct Field {
    const char* name;  // what the message must mention
    std::function<void(cs_client_options_t&, const char*)> set;
  };
  static const char* const valid_pin[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  const std::vector<Field> fields = {
      {"group_id", [](cs_client_options_t& o, const char* s) { o.group_id = s; }},
      {"device_id", [](cs_client_options_t& o, const char* s) { o.device_id = s; }},
      {"user_id", [](cs_client_options_t& o, const char* s) { o.user_id = s; }},
      {"uplink_parent", [](cs_client_options_t& o, const char* s) { o.uplink_parent = s; }},
      {"downlink_parent", [](cs_client_options_t& o, const char* s) { o.downlink_parent = s; }},
      {"platform", [](cs_client_options_t& o, const char* s) { o.platform = s; }},
      {"data_dir", [](cs_client_options_t& o, const char* s) { o.data_dir = s; }},
      {"broker_uris",
       [](cs_client_options_t& o, const char* s) {
         static thread_local const char* uris[1];
         uris[0] = s;
         o.broker_uris = uris;
         o.broker_uri_count = 1;
       }},
      {"username",
       [](cs_client_options_t& o, const char* s) {
         o.auth.mode = CS_AUTH_USERNAME_PASSWORD;
         o.auth.username = s;
         o.auth.password = "pw";
       }},
      {"password",
       [](cs_client_options_t& o, const char* s) {
         o.auth.mode = CS_AUTH_USERNAME_PASSWORD;
         o.auth.username = "user";
         o.auth.password = s;
       }},
      {"access_key_id",
       [](cs_client_options_t& o, const char* s) {
         o.auth.mode = CS_AUTH_ALIBABA_SIGNATURE;
         o.auth.access_key_id = s;
         o.auth.access_key_secret = "secret";
         o.auth.instance_id = "instance";
       }},
      {"access_key_secret",
       [](cs_client_options_t& o, const char* s) {
         o.auth.mode = CS_AUTH_ALIBABA_SIGNATURE;
         o.auth.access_key_id = "id";
         o.auth.access_key_secret = s;
         o.auth.instance_id = "instance";
       }},
      {"instance_id",
       [](cs_client_options_t& o, const char* s) {
         o.auth.mode = CS_AUTH_ALIBABA_TOKEN;
         o.auth.access_key_id = "id";
         o.auth.instance_id = s;
         o.auth.token = "token";
       }},
      {"token",
       [](cs_client_options_t& o, const char* s) {
         o.auth.mode = CS_AUTH_ALIBABA_TOKEN;
         o.auth.access_key_id = "id";
         o.auth.instance_id = "instance";
         o.auth.token = s;
       }},
      {"ca_file",
       [](cs_client_options_t& o, const char* s) {
         o.tls.enabled = 1;
         o.tls.ca_file = s;
       }},
      {"ca_dir",
       [](cs_client_options_t& o, const char* s) {
         o.tls.enabled = 1;
         o.tls.ca_dir = s;
       }},
      {"client_cert_file",
       [](cs_client_options_t& o, const char* s) {
         o.tls.enabled = 1;
         o.tls.client_cert_file = s;
         o.tls.client_key_file = "/nonexistent/key.pem";
       }},
      {"client_key_file",
       [](cs_client_options_t& o, const char* s) {
         o.tls.enabled = 1;
         o.tls.client_cert_file = "/nonexistent/cert.pem";
         o.tls.client_key_file = s;
       }},
      {"client_key_password",
       [](cs_client_options_t& o, const char* s) {
         o.tls.enabled = 1;
         o.tls.client_cert_file = "/nonexistent/cert.pem";
         o.tls.client_key_file = "/nonexistent/key.pem";
         o.tls.client_key_password = s;
       }},
      {"spki_sha256_pins",
       [](cs_client_options_t& o, const char* s) {
         static thread_local const char* pins[2];
         pins[0] = valid_pin[0];
         pins[1] = s;
         o.tls.enabled = 1;
         o.tls.spki_sha256_pins = pins;
         o.tls.spki_sha256_pin_count = 2;
       }},
      {"trusted_keys",
       [](cs_client_options_t& o, const char* s) {
         static thread_local cs_trusted_key_t keys[1];
         keys[0] = {s, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="};
         o.trusted_keys = keys;
         o.trusted_key_count = 1;
       }},
      {"trusted_keys",
       [](cs_client_options_t& o, const char* s) {
         static thread_local cs_trusted_key_t keys[1];
         keys[0] = {"kid-1", s};
         o.trusted_keys = keys;
         o.trusted_key_count = 1;
       }},
  };
  for (const Field& field : fields) {
    for (const std::string& bad : invalid_utf8()) {
      INFO("field " << field.name << ", bytes \"" << bad << "\"");
      TestOptions options;
      cs_client_options_t o = options.options();
      field.set(o, bad.c_str());
      CreateOutcome out = try_create(&o);
      check_failure(out.rc, out.err, CS_E_INVALID_ARGUMENT, field.name);
      CHECK(out.client == nullptr);
      CHECK(out.releases == 1);
    }
  }
}

TEST_CASE("create: a bad config is invalid config naming the field", "[api]") {
  struct Case {
    const char* field;
    std::function<void(cs_client_options_t&)> spoil;
  };
  static const char* const http_uri[] = {"http://127.0.0.1:1883"};
  static const char* const hostless_uri[] = {"tcp://"};
  static const char* const pin_without_tls[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  static const cs_trusted_key_t not_a_key[] = {{"kid-1", "this is not a key"}};
  static const cs_trusted_key_t bad_key_id[] = {{"bad id!", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}};
  const std::vector<Case> cases = {
      {"group_id", [](cs_client_options_t& o) { o.group_id = nullptr; }},
      {"group_id", [](cs_client_options_t& o) { o.group_id = ""; }},
      {"group_id", [](cs_client_options_t& o) { o.group_id = "has/slash"; }},
      {"device_id", [](cs_client_options_t& o) { o.device_id = nullptr; }},
      {"user_id", [](cs_client_options_t& o) { o.user_id = nullptr; }},
      {"uplink_parent", [](cs_client_options_t& o) { o.uplink_parent = nullptr; }},
      {"downlink_parent", [](cs_client_options_t& o) { o.downlink_parent = nullptr; }},
      {"downlink_parent", [](cs_client_options_t& o) { o.downlink_parent = "two/levels"; }},
      {"broker_uris", [](cs_client_options_t& o) { o.broker_uri_count = 0; }},
      {"broker_uris", [](cs_client_options_t& o) { o.broker_uris = http_uri; }},
      {"broker_uris", [](cs_client_options_t& o) { o.broker_uris = hostless_uri; }},
      {"trusted_keys", [](cs_client_options_t& o) {
         o.trusted_keys = not_a_key;
         o.trusted_key_count = 1;
       }},
      {"trusted_keys", [](cs_client_options_t& o) {
         o.trusted_keys = bad_key_id;
         o.trusted_key_count = 1;
       }},
      {"username", [](cs_client_options_t& o) { o.auth.mode = CS_AUTH_USERNAME_PASSWORD; }},
      {"access_key_secret", [](cs_client_options_t& o) {
         o.auth.mode = CS_AUTH_ALIBABA_SIGNATURE;
         o.auth.access_key_id = "id";
         o.auth.instance_id = "instance";
       }},
      {"ca_file", [](cs_client_options_t& o) { o.tls.ca_file = "/etc/ssl/certs/ca-certificates.crt"; }},
      {"spki_sha256_pins", [](cs_client_options_t& o) {
         o.tls.spki_sha256_pins = pin_without_tls;
         o.tls.spki_sha256_pin_count = 1;
       }},
      {"max_group", [](cs_client_options_t& o) { o.max_group = 1; }},
      {"max_group", [](cs_client_options_t& o) { o.max_group = 1000; }},
      {"platform", [](cs_client_options_t& o) { o.platform = "a-platform-name-that-is-much-too-long-to-be-one"; }},
      {"broker_profile", [](cs_client_options_t& o) { o.broker_profile = static_cast<cs_broker_profile_t>(7); }},
      {"mqtt_version", [](cs_client_options_t& o) { o.mqtt_version = static_cast<cs_mqtt_version_t>(9); }},
      {"mode", [](cs_client_options_t& o) { o.auth.mode = static_cast<cs_auth_mode_t>(99); }},
      {"busy_policy", [](cs_client_options_t& o) { o.busy_policy = static_cast<cs_busy_policy_t>(5); }},
      {"backoff", [](cs_client_options_t& o) {
         o.backoff_initial_ms = 5000;
         o.backoff_max_ms = 1000;
       }},
  };
  for (const Case& c : cases) {
    INFO("field " << c.field);
    TestOptions options;
    cs_client_options_t o = options.options();
    c.spoil(o);
    check_create_fails(o, CS_E_INVALID_CONFIG, c.field);
  }
}

TEST_CASE("create: NULL arrays with a count are refused and never read", "[api]") {
  TestOptions options;
  cs_client_options_t o = options.options();
  o.broker_uris = nullptr;
  CreateOutcome out = try_create(&o);
  CHECK((out.rc == CS_E_INVALID_ARGUMENT || out.rc == CS_E_INVALID_CONFIG));
  CHECK(contains(out.err.message, "broker_uris"));

  static const char* const null_uri[] = {nullptr};
  o = options.options();
  o.broker_uris = null_uri;
  out = try_create(&o);
  CHECK((out.rc == CS_E_INVALID_ARGUMENT || out.rc == CS_E_INVALID_CONFIG));
  CHECK(contains(out.err.message, "broker_uris"));

  o = options.options();
  o.trusted_keys = nullptr;
  o.trusted_key_count = 2;
  out = try_create(&o);
  CHECK((out.rc == CS_E_INVALID_ARGUMENT || out.rc == CS_E_INVALID_CONFIG));
  CHECK(contains(out.err.message, "trusted_keys"));

  static const cs_trusted_key_t null_key[] = {{"kid-1", nullptr}};
  o = options.options();
  o.trusted_keys = null_key;
  o.trusted_key_count = 1;
  out = try_create(&o);
  CHECK((out.rc == CS_E_INVALID_ARGUMENT || out.rc == CS_E_INVALID_CONFIG));
  CHECK(contains(out.err.message, "trusted_keys"));

  o = options.options();
  o.tls.enabled = 1;
  o.tls.spki_sha256_pins = nullptr;
  o.tls.spki_sha256_pin_count = 3;
  out = try_create(&o);
  CHECK((out.rc == CS_E_INVALID_ARGUMENT || out.rc == CS_E_INVALID_CONFIG));
  CHECK(contains(out.err.message, "spki_sha256_pins"));
}

TEST_CASE("create: an unusable data_dir is an I/O error and unreadable TLS files a TLS error", "[api]") {
  callsignal::test::TempDir dir("callsignal-capi-");
  const std::string file = dir.file("a-file");
  { FILE* f = std::fopen(file.c_str(), "w"); REQUIRE(f != nullptr); std::fclose(f); }

  TestOptions options;
  cs_client_options_t o = options.options();
  const std::string data_dir = file + "/sub";  // under a regular file: cannot be created
  o.data_dir = data_dir.c_str();
  CreateOutcome out = try_create(&o);
  check_failure(out.rc, out.err, CS_E_IO, "data_dir");
  CHECK(out.releases == 1);

  TestOptions tls_options("ssl://127.0.0.1:1");
  o = tls_options.options();
  o.tls.ca_file = "/nonexistent/ca.pem";
  out = try_create(&o);
  check_failure(out.rc, out.err, CS_E_TLS, "ca_file");
  CHECK(out.releases == 1);

  // A data_dir that works, for contrast: created on demand.
  const std::string good_dir = dir.file("data");
  o = options.options();
  o.data_dir = good_dir.c_str();
  out = try_create(&o);
  CHECK(out.rc == CS_OK);
}

TEST_CASE("commands: unknown call ids are unknown call", "[api]") {
  OfflineClient device;
  for (const Command& command : call_commands("no-such-call")) {
    INFO(command.name);
    cs_error_t err = fresh_error();
    check_failure(command.run(device.client.get(), &err), err, CS_E_UNKNOWN_CALL);
    CHECK(command.run(device.client.get(), nullptr) == CS_E_UNKNOWN_CALL);
  }
}

TEST_CASE("commands: NULL and invalid UTF-8 string arguments are invalid argument", "[api]") {
  OfflineClient device;
  const std::string call = "c-ringing";
  ring(device, call);
  cs_client_t* c = device.client.get();

  struct Arg {
    const char* name;
    std::function<int(const char*, cs_error_t*)> run;  // the bad string goes in this argument
  };
  const std::vector<Arg> args = {
      {"accept call_id", [=](const char* s, cs_error_t* e) { return cs_client_accept(c, s, e); }},
      {"reject call_id", [=](const char* s, cs_error_t* e) { return cs_client_reject(c, s, nullptr, e); }},
      {"cancel call_id", [=](const char* s, cs_error_t* e) { return cs_client_cancel(c, s, e); }},
      {"hangup call_id", [=](const char* s, cs_error_t* e) { return cs_client_hangup(c, s, e); }},
      {"invite call_id",
       [=](const char* s, cs_error_t* e) {
         const char* users[] = {"carol"};
         return cs_client_invite(c, s, users, 1, e);
       }},
      {"request_mute call_id", [=](const char* s, cs_error_t* e) { return cs_client_request_mute(c, s, "alice", 1, 1, e); }},
      {"kick call_id", [=](const char* s, cs_error_t* e) { return cs_client_kick(c, s, "alice", e); }},
      {"end_for_all call_id", [=](const char* s, cs_error_t* e) { return cs_client_end_for_all(c, s, e); }},
      {"rtc_joined call_id", [=](const char* s, cs_error_t* e) { return cs_client_rtc_joined(c, s, e); }},
      {"rtc_left call_id", [=](const char* s, cs_error_t* e) { return cs_client_rtc_left(c, s, e); }},
      {"rtc_failed call_id", [=](const char* s, cs_error_t* e) { return cs_client_rtc_failed(c, s, nullptr, e); }},
      {"rtc_token_expiring call_id", [=](const char* s, cs_error_t* e) { return cs_client_rtc_token_expiring(c, s, e); }},
      {"invite users[0]",
       [=](const char* s, cs_error_t* e) {
         const char* users[] = {s};
         return cs_client_invite(c, call.c_str(), users, 1, e);
       }},
      {"request_mute target",
       [=](const char* s, cs_error_t* e) { return cs_client_request_mute(c, call.c_str(), s, 1, 0, e); }},
      {"kick target", [=](const char* s, cs_error_t* e) { return cs_client_kick(c, call.c_str(), s, e); }},
      {"renew_token token", [=](const char* s, cs_error_t* e) { return cs_client_renew_token(c, s, e); }},
      {"start_call callees[0]",
       [=](const char* s, cs_error_t* e) {
         const char* callees[] = {s};
         cs_call_options_t o = CS_CALL_OPTIONS_INIT;
         o.callees = callees;
         o.callee_count = 1;
         return cs_client_start_call(c, &o, nullptr, e);
       }},
  };
  // Where NULL means "the default", only invalid UTF-8 is wrong.
  const std::vector<Arg> optional_args = {
      {"reject reason", [=](const char* s, cs_error_t* e) { return cs_client_reject(c, call.c_str(), s, e); }},
      {"rtc_failed detail", [=](const char* s, cs_error_t* e) { return cs_client_rtc_failed(c, call.c_str(), s, e); }},
      {"start_call custom_json",
       [=](const char* s, cs_error_t* e) {
         const char* callees[] = {"alice"};
         cs_call_options_t o = CS_CALL_OPTIONS_INIT;
         o.callees = callees;
         o.callee_count = 1;
         o.custom_json = s;
         return cs_client_start_call(c, &o, nullptr, e);
       }},
  };
  for (const Arg& arg : args) {
    INFO(arg.name << " NULL");
    cs_error_t err = fresh_error();
    check_failure(arg.run(nullptr, &err), err, CS_E_INVALID_ARGUMENT);
  }
  std::vector<Arg> all = args;
  all.insert(all.end(), optional_args.begin(), optional_args.end());
  for (const Arg& arg : all) {
    for (const std::string& bad : invalid_utf8()) {
      INFO(arg.name << " = \"" << bad << "\"");
      cs_error_t err = fresh_error();
      check_failure(arg.run(bad.c_str(), &err), err, CS_E_INVALID_ARGUMENT);
    }
  }
  // A custom_json with invalid UTF-8 inside a JSON string.
  cs_error_t err = fresh_error();
  check_failure(optional_args[2].run("{\"k\":\"\xff\"}", &err), err, CS_E_INVALID_ARGUMENT);

  // Nothing of the above changed the ringing call: it can still be declined.
  CHECK(cs_client_reject(c, call.c_str(), nullptr, nullptr) == CS_OK);
  CHECK(device.recorder.wait_call_state(call, CS_CALL_ENDED));
}

TEST_CASE("commands: other invalid arguments of start_call and invite and push_received", "[api]") {
  OfflineClient device;
  cs_client_t* c = device.client.get();
  auto start = [&](std::vector<const char*> callees, const char* json, size_t count) {
    cs_call_options_t o = CS_CALL_OPTIONS_INIT;
    o.callees = callees.empty() ? nullptr : callees.data();
    o.callee_count = count;
    o.custom_json = json;
    cs_error_t err = fresh_error();
    int rc = cs_client_start_call(c, &o, nullptr, &err);
    if (rc != CS_OK) check_failure(rc, err, rc);
    return rc;
  };
  CHECK(start({}, nullptr, 0) == CS_E_INVALID_ARGUMENT);                     // no callees
  CHECK(start({}, nullptr, 1) == CS_E_INVALID_ARGUMENT);                     // NULL array
  CHECK(start({nullptr}, nullptr, 1) == CS_E_INVALID_ARGUMENT);              // NULL callee
  CHECK(start({"bob"}, nullptr, 1) == CS_E_INVALID_ARGUMENT);                // ourselves
  CHECK(start({""}, nullptr, 1) == CS_E_INVALID_ARGUMENT);                   // empty id
  CHECK(start({"alice"}, "[1,2]", 1) == CS_E_INVALID_ARGUMENT);              // JSON, not an object
  CHECK(start({"alice"}, "{\"a\":", 1) == CS_E_INVALID_ARGUMENT);            // not JSON
  std::vector<const char*> nine = {"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"};
  CHECK(start(nine, nullptr, nine.size()) == CS_E_INVALID_ARGUMENT);         // over max_group - 1

  cs_error_t err = fresh_error();
  check_failure(cs_client_push_received(c, nullptr, 10, &err), err, CS_E_INVALID_ARGUMENT);
  const std::string call = "c-args";
  ring(device, call);
  const char* users[] = {"carol"};
  err = fresh_error();
  check_failure(cs_client_invite(c, call.c_str(), nullptr, 1, &err), err, CS_E_INVALID_ARGUMENT);
  err = fresh_error();
  check_failure(cs_client_invite(c, call.c_str(), users, 0, &err), err, CS_E_INVALID_ARGUMENT);
  REQUIRE(cs_client_reject(c, call.c_str(), nullptr, nullptr) == CS_OK);
  CHECK(start({"alice"}, "{\"topic\":\"lunch\"}", 1) == CS_OK);  // and a valid one, now that none rings
}

TEST_CASE("commands: the wrong state is invalid state", "[api]") {
  OfflineClient device;
  cs_client_t* c = device.client.get();

  SECTION("an outgoing call") {
    const std::string id = start_offline_call(c);
    REQUIRE(device.recorder.wait_call_state(id, CS_CALL_OUTGOING));
    cs_error_t err = fresh_error();
    check_failure(cs_client_accept(c, id.c_str(), &err), err, CS_E_INVALID_STATE);
    err = fresh_error();
    check_failure(cs_client_reject(c, id.c_str(), "unavailable", &err), err, CS_E_INVALID_STATE);
    err = fresh_error();
    check_failure(cs_client_rtc_token_expiring(c, id.c_str(), &err), err, CS_E_INVALID_STATE);
    // Already in a call.
    const char* callees[] = {"carol"};
    cs_call_options_t o = CS_CALL_OPTIONS_INIT;
    o.callees = callees;
    o.callee_count = 1;
    err = fresh_error();
    check_failure(cs_client_start_call(c, &o, nullptr, &err), err, CS_E_INVALID_STATE);
    // Not Alibaba token auth.
    err = fresh_error();
    check_failure(cs_client_renew_token(c, "token", &err), err, CS_E_INVALID_STATE);

    err = fresh_error();
    CHECK(cs_client_cancel(c, id.c_str(), &err) == CS_OK);
    CHECK(err.code == kUntouched);
    REQUIRE(device.recorder.wait_call_state(id, CS_CALL_ENDED));
    // Hangup on an ended call: CS_OK, nothing happens.
    CHECK(cs_client_hangup(c, id.c_str(), nullptr) == CS_OK);
  }

  SECTION("a ringing call") {
    const std::string call = "c-ring-state";
    ring(device, call);
    auto incoming = device.recorder.incoming.snapshot();
    REQUIRE(incoming.size() == 1);
    CHECK(incoming[0].call_id == call);
    CHECK(incoming[0].caller == "alice");
    CHECK(incoming[0].callees == std::vector<std::string>{"bob"});
    CHECK(cs_client_connection_state(c) == CS_CONNECTION_IDLE);

    cs_error_t err = fresh_error();
    check_failure(cs_client_cancel(c, call.c_str(), &err), err, CS_E_INVALID_STATE);  // not our call
    err = fresh_error();
    check_failure(cs_client_rtc_token_expiring(c, call.c_str(), &err), err, CS_E_INVALID_STATE);

    REQUIRE(cs_client_accept(c, call.c_str(), nullptr) == CS_OK);
    REQUIRE(device.recorder.wait_call_state(call, CS_CALL_ACCEPTING));
    err = fresh_error();
    check_failure(cs_client_accept(c, call.c_str(), &err), err, CS_E_INVALID_STATE);
    err = fresh_error();
    check_failure(cs_client_reject(c, call.c_str(), nullptr, &err), err, CS_E_INVALID_STATE);
    CHECK(cs_client_hangup(c, call.c_str(), nullptr) == CS_OK);
    CHECK(device.recorder.wait_call_state(call, CS_CALL_ENDING));
  }
}

TEST_CASE("push_received: frames go through the filter and refused ones are counted and not errors", "[api]") {
  OfflineClient device;
  cs_client_t* c = device.client.get();
  auto stats = [&] {
    cs_stats_t s = CS_STATS_INIT;
    REQUIRE(cs_client_get_stats(c, &s, nullptr) == CS_OK);
    return s;
  };
  const cs_stats_t before = stats();

  const std::string garbage = "not a frame \xff";
  CHECK(cs_client_push_received(c, garbage.data(), garbage.size(), nullptr) == CS_OK);
  CHECK(cs_client_push_received(c, "", 0, nullptr) == CS_OK);
  const std::string elsewhere = service_frame("invite", "GID_capi@@@another-device", "c-elsewhere");
  CHECK(cs_client_push_received(c, elsewhere.data(), elsewhere.size(), nullptr) == CS_OK);

  const std::string invite = service_frame("invite", device.options.client_id(), "c-push");
  CHECK(cs_client_push_received(c, invite.data(), invite.size(), nullptr) == CS_OK);
  CHECK(cs_client_push_received(c, invite.data(), invite.size(), nullptr) == CS_OK);  // the same again
  REQUIRE(device.recorder.wait_incoming(1));

  const cs_stats_t after = stats();
  CHECK(after.received - before.received == 5);
  CHECK(after.delivered - before.delivered == 1);
  CHECK(after.duplicates_dropped - before.duplicates_dropped == 1);
  CHECK(after.invalid_dropped - before.invalid_dropped == 2);
  CHECK(after.forged_dropped - before.forged_dropped == 1);
  CHECK(after.reconnects == 0);
  // Rang once: the copy was dropped.
  CHECK(device.recorder.incoming.size() == 1);
  CHECK(device.recorder.incoming.snapshot().at(0).call_id == "c-push");
}

TEST_CASE("disconnect: afterwards the client is closed for good", "[api]") {
  OfflineClient device;
  cs_client_t* c = device.client.get();
  REQUIRE(cs_client_connect(c, nullptr) == CS_OK);
  cs_error_t err = fresh_error();
  REQUIRE(cs_client_disconnect(c, &err) == CS_OK);
  CHECK(err.code == kUntouched);
  CHECK(cs_client_connection_state(c) == CS_CONNECTION_CLOSED);

  err = fresh_error();
  check_failure(cs_client_connect(c, &err), err, CS_E_CLOSED);
  err = fresh_error();
  const char* callees[] = {"alice"};
  cs_call_options_t o = CS_CALL_OPTIONS_INIT;
  o.callees = callees;
  o.callee_count = 1;
  check_failure(cs_client_start_call(c, &o, nullptr, &err), err, CS_E_CLOSED);
  const std::string invite = service_frame("invite", device.options.client_id(), "c-late");
  err = fresh_error();
  check_failure(cs_client_push_received(c, invite.data(), invite.size(), &err), err, CS_E_CLOSED);
  for (auto fn : {&cs_client_app_foreground, &cs_client_app_background, &cs_client_network_changed}) {
    err = fresh_error();
    check_failure(fn(c, &err), err, CS_E_CLOSED);
  }
  // Read-only functions still answer.
  cs_stats_t s = CS_STATS_INIT;
  CHECK(cs_client_get_stats(c, &s, nullptr) == CS_OK);
  CHECK(device.recorder.incoming.size() == 0);
}

}  // namespace callsignal::capi_test

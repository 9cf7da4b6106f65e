#include "cli_options.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

const char* kUsage = R"(usage: callsignal-cli --broker URI --device ID --user ID [options]

A desktop call signaling client built on the callsignal C ABI. Commands are read from stdin,
one per line; events are written to stdout.

Connection:
  --broker URI            broker URI, tcp://host:port or ssl://host:port (repeatable: failover)
  --group ID              group id, the first half of the MQTT client id (default GID_callsignal)
  --device ID             device id: client id = <group>@@@<device> (required)
  --user ID               the user this device serves (required)
  --uplink TOPIC          uplink parent topic (default callsignal/up)
  --downlink TOPIC        downlink parent topic (default callsignal/down)
  --mqtt5                 use MQTT 5 (default 3.1.1)
  --username NAME         broker username
  --password TEXT         broker password (never printed)
  --tls                   use TLS (implied by ssl:// URIs)
  --tls-ca FILE           CA bundle (PEM) that signs the broker's certificate
  --tls-insecure          skip certificate checks (lab brokers only)

Security and storage:
  --trusted-key KID=KEY   a public key of the call control service: KEY is the raw Ed25519 key in
                          base64, or @FILE for a PEM file (repeatable). Without any, signatures
                          are not checked: development only.
  --data-dir DIR          where the client keeps its durable state (default: memory only)

Calls:
  --ring-timeout-ms MS    how long an incoming call rings (default 30000)
  --call-waiting          ring a second call instead of refusing it busy
  --no-simulate-rtc       do not report RTC joined/left by itself (default: it does, at once,
                          since a terminal has no RTC SDK)

Output:
  --json                  one JSON object per line, with an "event" field named like the C ABI's
                          events (connection, incoming_call, call_state, call_id, join_rtc,
                          rtc_update, leave_rtc, participants, mute_request, missed_call, error)
                          and "result" lines for commands; every line also has "t_ms"
                          (ms since start) and "ts" (Unix time in ms)
  --log-level LEVEL       SDK log lines on stderr: debug, info, warn, error (default: none)
  --help                  this text

Commands (stdin):
  call <user> [<user>...] [--video]   start a call (one user: 1:1; more: a group call)
  accept                              answer the ringing call
  reject                              decline the ringing call
  hangup                              leave the current call
  invite <user> [<user>...]           invite more users into the current call
  mute <user>                         ask a participant to mute
  kick <user>                         remove a participant
  status                              connection, current call and counters
  quit                                disconnect and exit (also at the end of stdin)
)";

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "callsignal-cli: %s (see --help)\n", message.c_str());
  return 2;
}

}  // namespace

cs_client_options_t CliOptions::to_client_options() {
  cs_client_options_t o = CS_CLIENT_OPTIONS_INIT;
  broker_ptrs_.clear();
  for (const std::string& b : brokers) broker_ptrs_.push_back(b.c_str());
  o.broker_uris = broker_ptrs_.data();
  o.broker_uri_count = broker_ptrs_.size();
  o.mqtt_version = mqtt5 ? CS_MQTT_5 : CS_MQTT_3_1_1;
  o.group_id = group.c_str();
  o.device_id = device.c_str();
  o.user_id = user.c_str();
  o.uplink_parent = uplink.c_str();
  o.downlink_parent = downlink.c_str();
  o.platform = platform.c_str();
  if (!username.empty()) {
    o.auth.mode = CS_AUTH_USERNAME_PASSWORD;
    o.auth.username = username.c_str();
    o.auth.password = password.c_str();
  }
  o.tls.enabled = tls ? 1 : 0;
  if (!tls_ca_file.empty()) o.tls.ca_file = tls_ca_file.c_str();
  o.tls.insecure_skip_verify = tls_insecure ? 1 : 0;
  if (!data_dir.empty()) o.data_dir = data_dir.c_str();
  key_structs_.clear();
  for (const auto& [kid, key] : trusted_keys) key_structs_.push_back({kid.c_str(), key.c_str()});
  o.trusted_keys = key_structs_.data();
  o.trusted_key_count = key_structs_.size();
  o.ring_timeout_ms = ring_timeout_ms;
  o.busy_policy = call_waiting ? CS_BUSY_CALL_WAITING : CS_BUSY_AUTO_REJECT;
  o.backoff_initial_ms = 200;
  o.backoff_max_ms = 5000;
  return o;
}

int parse_cli_options(int argc, char** argv, CliOptions& out) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& into) -> bool {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    } else if (arg == "--broker") {
      if (!value(v)) return fail("--broker needs a URI");
      out.brokers.push_back(v);
    } else if (arg == "--group") {
      if (!value(out.group)) return fail("--group needs a value");
    } else if (arg == "--device") {
      if (!value(out.device)) return fail("--device needs a value");
    } else if (arg == "--user") {
      if (!value(out.user)) return fail("--user needs a value");
    } else if (arg == "--uplink") {
      if (!value(out.uplink)) return fail("--uplink needs a topic");
    } else if (arg == "--downlink") {
      if (!value(out.downlink)) return fail("--downlink needs a topic");
    } else if (arg == "--data-dir") {
      if (!value(out.data_dir)) return fail("--data-dir needs a directory");
    } else if (arg == "--mqtt5") {
      out.mqtt5 = true;
    } else if (arg == "--username") {
      if (!value(out.username)) return fail("--username needs a value");
    } else if (arg == "--password") {
      if (!value(out.password)) return fail("--password needs a value");
    } else if (arg == "--tls") {
      out.tls = true;
    } else if (arg == "--tls-ca") {
      if (!value(out.tls_ca_file)) return fail("--tls-ca needs a file");
    } else if (arg == "--tls-insecure") {
      out.tls_insecure = true;
    } else if (arg == "--trusted-key") {
      if (!value(v)) return fail("--trusted-key needs KID=KEY");
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) return fail("--trusted-key: expected KID=KEY");
      std::string key = v.substr(eq + 1);
      if (key[0] == '@' && !read_file(key.substr(1), key)) return fail("--trusted-key: cannot read " + key.substr(1));
      out.trusted_keys.emplace_back(v.substr(0, eq), key);
    } else if (arg == "--ring-timeout-ms") {
      if (!value(v)) return fail("--ring-timeout-ms needs a number");
      char* end = nullptr;
      const unsigned long ms = std::strtoul(v.c_str(), &end, 10);
      if (*end != '\0' || ms == 0 || ms > 600000) return fail("--ring-timeout-ms: 1..600000");
      out.ring_timeout_ms = static_cast<unsigned>(ms);
    } else if (arg == "--call-waiting") {
      out.call_waiting = true;
    } else if (arg == "--no-simulate-rtc") {
      out.simulate_rtc = false;
    } else if (arg == "--json") {
      out.json = true;
    } else if (arg == "--log-level") {
      if (!value(v)) return fail("--log-level needs a level");
      if (v == "debug") out.log_level = CS_LOG_DEBUG;
      else if (v == "info") out.log_level = CS_LOG_INFO;
      else if (v == "warn") out.log_level = CS_LOG_WARN;
      else if (v == "error") out.log_level = CS_LOG_ERROR;
      else return fail("--log-level: debug, info, warn or error");
    } else {
      return fail("unknown option " + arg);
    }
  }
  if (out.brokers.empty()) return fail("--broker is required");
  if (out.device.empty()) return fail("--device is required");
  if (out.user.empty()) return fail("--user is required");
  return 0;
}

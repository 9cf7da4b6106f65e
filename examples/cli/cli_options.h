// callsignal-cli's command line: every option of the client, parsed into a cs_client_options_t
// that points into this struct (keep it alive while the options are used).
#pragma once

#include <callsignal/callsignal.h>

#include <string>
#include <vector>

struct CliOptions {
  std::vector<std::string> brokers;
  std::string group = "GID_callsignal";
  std::string device;
  std::string user;
  std::string uplink = "callsignal/up";
  std::string downlink = "callsignal/down";
  std::string data_dir;
  std::string platform = "desktop";
  bool mqtt5 = false;
  std::string username;
  std::string password;
  bool tls = false;
  std::string tls_ca_file;
  bool tls_insecure = false;
  std::vector<std::pair<std::string, std::string>> trusted_keys;  // key id, PEM text or base64
  unsigned ring_timeout_ms = 0;
  bool call_waiting = false;
  bool json = false;
  bool simulate_rtc = true;  // report RTC joined/left at once (no RTC SDK in a terminal)
  cs_log_level_t log_level = CS_LOG_OFF;

  // The C options, pointing into this object.
  cs_client_options_t to_client_options();

 private:
  std::vector<const char*> broker_ptrs_;
  std::vector<cs_trusted_key_t> key_structs_;
};

// Parses argv. Returns 0 to go on, -1 after printing --help (exit 0), or an exit code after
// printing an error.
int parse_cli_options(int argc, char** argv, CliOptions& out);

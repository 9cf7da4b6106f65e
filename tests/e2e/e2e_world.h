// End-to-end harness: every piece a real process. One Mosquitto (MosquittoBroker), one
// callsignal-control child (config in a temp dir, key made with --generate-key), and one
// callsignal-cli --json child per device, driven through its stdin and read through its stdout.
//
// Waiting is always on a line that arrives, with a deadline (expect()); nothing sleeps. A wait that
// fails throws with what it waited for and the transcripts of every process, so a red test says
// what happened.
//
// The programs are the ones built with the tests; CALLSIGNAL_E2E_CONTROL and CALLSIGNAL_E2E_CLI
// (absolute paths) replace them, e.g. an ASan-built service with a plain CLI to chase one bug.
// ASAN_OPTIONS=log_path=/tmp/asan reaches every child, for whole sanitizer reports.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/broker.h"
#include "support/interactive_process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace callsignal::e2e {

using namespace std::chrono_literals;
using test::InteractiveProcess;

// Generous: child processes under ASan on a shared 2-core machine are slow to start and to answer.
inline constexpr std::chrono::milliseconds kWait = 15s;

// One output line of a child, parsed when it is a JSON object.
struct JsonLine {
  std::string text;
  std::chrono::steady_clock::time_point at;
  std::shared_ptr<const rapidjson::Document> doc;  // null: not a JSON object

  bool is_json() const { return doc != nullptr; }
  bool has(const char* key) const;
  std::string str(const char* key) const;                 // "" when absent or not a string
  std::vector<std::string> strings(const char* key) const;  // an array of strings; empty otherwise
  std::optional<std::int64_t> num(const char* key) const;
  bool flag(const char* key) const;  // false when absent
};

JsonLine parse_line(const test::OutputLine& line);

// Which lines a wait wants: {"event": name, key: value, ...} plus free predicates.
class Match {
 public:
  explicit Match(std::string event) : event_(std::move(event)) {}
  Match& with(std::string key, std::string value);
  Match& where(std::string what, std::function<bool(const JsonLine&)> pred);
  bool operator()(const JsonLine& line) const;
  std::string describe() const;

 private:
  std::string event_;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::vector<std::pair<std::string, std::function<bool(const JsonLine&)>>> preds_;
};

inline Match ev(std::string event) { return Match(std::move(event)); }

// A child whose stdout (the CLI) or stderr (the service's log) is JSON lines.
class JsonProcess {
 public:
  using Stream = InteractiveProcess::Stream;

  JsonProcess(std::string name, const std::vector<std::string>& argv, Stream json_stream);
  virtual ~JsonProcess() = default;

  const std::string& name() const { return process_.name(); }
  InteractiveProcess& process() { return process_; }

  // The n-th (1-based) line matching m, waiting up to timeout; throws with the transcripts if it
  // does not come.
  JsonLine expect(const Match& m, std::chrono::milliseconds timeout = kWait, std::size_t n = 1);
  // Whether a line matching m is there already (no wait).
  bool saw(const Match& m) const { return count(m) > 0; }
  std::size_t count(const Match& m) const;
  std::vector<JsonLine> lines() const { return lines_->snapshot(); }
  std::vector<JsonLine> all(const Match& m) const;

  // Text appended to every failure message (the transcripts of the whole world).
  void set_context(std::function<std::string()> context) { context_ = std::move(context); }
  std::string transcript() { return process_.transcript(); }

 private:
  std::shared_ptr<test::EventLog<JsonLine>> lines_;  // shared with the reader thread's hook
  InteractiveProcess process_;
  std::function<std::string()> context_;
};

// Limits of the service under test, short so that tests are quick.
struct ServiceLimits {
  std::int64_t ring_timeout_ms = 20'000;
  std::int64_t invite_lifetime_ms = 30'000;
  std::int64_t resend_interval_ms = 300;
  // Joined participants are dropped after this much silence; the CLI's first keepalive comes
  // 15 s after the answer, so a grace below that ends any call that lasts longer.
  std::int64_t liveness_grace_ms = 30'000;
};

// callsignal-control as a child process, logging JSON lines (level debug) on stderr.
class ControlProcess : public JsonProcess {
 public:
  struct Setup {
    std::string config_path;
    std::string uplink;
    std::string downlink;
    std::string kid;
    std::string public_key;  // base64 of the raw Ed25519 key
  };
  explicit ControlProcess(Setup setup);

  const Setup& setup() const { return setup_; }
  const std::string& uplink() const { return setup_.uplink; }
  const std::string& downlink() const { return setup_.downlink; }
  // How many "refused" log lines name `reason` (the service's refusal counters, one line each).
  std::size_t refused(const std::string& reason) const;

 private:
  Setup setup_;
};

// callsignal-cli --json for one device of one user.
class CliDevice : public JsonProcess {
 public:
  CliDevice(const std::string& user, const std::string& device, const std::vector<std::string>& argv);

  const std::string& user() const { return user_; }
  const std::string& device() const { return device_; }
  std::string client_id() const { return "GID_callsignal@@@" + device_; }

  void command(const std::string& line) { process().write_line(line); }
  // "call <callees...>": returns the call id the service gave (from the call_id event).
  std::string call(const std::vector<std::string>& callees);
  // "status": returns the status line it printed.
  JsonLine status();
  // The ringing call's id (waits for incoming_call).
  std::string wait_incoming(const std::string& caller);

 private:
  std::string user_;
  std::string device_;
};

// A broker, a service and devices, for one test.
class World {
 public:
  explicit World(ServiceLimits limits = {});
  ~World();  // SIGKILLs what is still running
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  test::MosquittoBroker& broker() { return *broker_; }
  ControlProcess& control() { return *control_; }
  const std::string& dir() const { return dir_.path(); }

  // Starts one CLI per user (device "<user>-dev"), then waits until each is connected and the
  // service has its hello.
  void add_devices(const std::vector<std::string>& users);
  CliDevice& operator[](const std::string& user);

  // Publishes payload on topic with mosquitto_pub (QoS 1); throws if it fails.
  void publish(const std::string& topic, const std::string& payload);

  // Every process's transcript, for failure messages.
  std::string transcripts();

  // Clean stop: quit every CLI (end of stdin), SIGTERM the service; checks each exits 0 in time
  // and that no sanitizer report is on any stderr. Returns the problems found (empty: none).
  std::vector<std::string> shutdown();

 private:
  test::TempDir dir_;
  std::unique_ptr<test::MosquittoBroker> broker_;
  std::unique_ptr<ControlProcess> control_;
  std::vector<std::unique_ptr<CliDevice>> devices_;
};

// A mosquitto_sub child on one topic, for what the service sends to a client id no CLI holds.
class Subscriber {
 public:
  // Returns once the broker acknowledged the subscription.
  Subscriber(test::MosquittoBroker& broker, const std::string& topic);
  // Payloads received so far (each one line: frames are compact JSON).
  std::vector<std::string> payloads() const;
  // Waits for a payload for which pred holds; returns it, or throws.
  std::string expect(const std::string& what, const std::function<bool(const std::string&)>& pred,
                     std::chrono::milliseconds timeout = kWait);

 private:
  std::unique_ptr<InteractiveProcess> process_;
};

// Runs a program to its end (deadline: kWait); returns its stdout lines. Throws if it fails.
std::vector<std::string> run_program(const std::vector<std::string>& argv);

// A short random hex tag.
std::string random_tag();

}  // namespace callsignal::e2e

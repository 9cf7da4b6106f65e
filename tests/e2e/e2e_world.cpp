#include "e2e/e2e_world.h"

#include <sys/wait.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace callsignal::e2e {
namespace {

// The programs under test: the ones built with the tests, or others named in the environment
// (e.g. an ASan-built service with a plain CLI, to look at one bug at a time).
std::string program(const char* env, const char* built) {
  const char* chosen = std::getenv(env);
  return chosen != nullptr && *chosen != '\0' ? chosen : built;
}
const std::string kControl = program("CALLSIGNAL_E2E_CONTROL", CALLSIGNAL_CONTROL_BINARY);
const std::string kCli = program("CALLSIGNAL_E2E_CLI", CALLSIGNAL_CLI_BINARY);
const std::string kMosquittoPub = "/usr/bin/mosquitto_pub";
const std::string kMosquittoSub = "/usr/bin/mosquitto_sub";
const std::string kStdbuf = "/usr/bin/stdbuf";  // mosquitto_sub writes to a pipe through stdio's buffer
const std::string kKid = "e2e-key-1";

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// Sanitizer and crash reports a child may leave on its stderr.
bool is_sanitizer_report(const std::string& line) {
  return line.find("ERROR: AddressSanitizer") != std::string::npos ||
         line.find("ERROR: LeakSanitizer") != std::string::npos ||
         line.find("WARNING: ThreadSanitizer") != std::string::npos ||
         line.find("runtime error:") != std::string::npos;
}

std::string json_string(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return buffer.GetString();
}

}  // namespace

// --- JsonLine ----------------------------------------------------------------------------------

JsonLine parse_line(const test::OutputLine& line) {
  JsonLine out{line.text, line.at, nullptr};
  auto doc = std::make_shared<rapidjson::Document>();
  doc->Parse(line.text.c_str(), line.text.size());
  if (!doc->HasParseError() && doc->IsObject()) out.doc = std::move(doc);
  return out;
}

bool JsonLine::has(const char* key) const { return doc && doc->HasMember(key); }

std::string JsonLine::str(const char* key) const {
  if (!doc) return {};
  auto it = doc->FindMember(key);
  if (it == doc->MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::vector<std::string> JsonLine::strings(const char* key) const {
  std::vector<std::string> out;
  if (!doc) return out;
  auto it = doc->FindMember(key);
  if (it == doc->MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::optional<std::int64_t> JsonLine::num(const char* key) const {
  if (!doc) return std::nullopt;
  auto it = doc->FindMember(key);
  if (it == doc->MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

bool JsonLine::flag(const char* key) const {
  if (!doc) return false;
  auto it = doc->FindMember(key);
  return it != doc->MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

// --- Match -------------------------------------------------------------------------------------

Match& Match::with(std::string key, std::string value) {
  fields_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Match& Match::where(std::string what, std::function<bool(const JsonLine&)> pred) {
  preds_.emplace_back(std::move(what), std::move(pred));
  return *this;
}

bool Match::operator()(const JsonLine& line) const {
  if (!line.is_json() || line.str("event") != event_) return false;
  for (const auto& [key, value] : fields_) {
    if (line.str(key.c_str()) != value) return false;
  }
  for (const auto& [what, pred] : preds_) {
    if (!pred(line)) return false;
  }
  return true;
}

std::string Match::describe() const {
  std::string text = "{event=" + event_;
  for (const auto& [key, value] : fields_) text += ", " + key + "=" + value;
  for (const auto& [what, pred] : preds_) text += ", " + what;
  return text + "}";
}

// --- JsonProcess -------------------------------------------------------------------------------

JsonProcess::JsonProcess(std::string name, const std::vector<std::string>& argv, Stream json_stream)
    : lines_(std::make_shared<test::EventLog<JsonLine>>()),
      process_(std::move(name), argv, [lines = lines_, json_stream](Stream stream, const test::OutputLine& line) {
        if (stream == json_stream) lines->push(parse_line(line));
      }) {}

std::size_t JsonProcess::count(const Match& m) const { return lines_->count_if(m); }

std::vector<JsonLine> JsonProcess::all(const Match& m) const {
  std::vector<JsonLine> out;
  for (JsonLine& line : lines_->snapshot()) {
    if (m(line)) out.push_back(std::move(line));
  }
  return out;
}

JsonLine JsonProcess::expect(const Match& m, std::chrono::milliseconds timeout, std::size_t n) {
  if (lines_->wait_for_count(m, n, timeout)) {
    std::size_t seen = 0;
    for (JsonLine& line : lines_->snapshot()) {
      if (m(line) && ++seen == n) return line;
    }
  }
  std::string message = name() + ": no " + (n > 1 ? "#" + std::to_string(n) + " " : "") + m.describe() +
                        " within " + ms_text(timeout) + "\n";
  message += context_ ? context_() : transcript();
  throw std::runtime_error(message);
}

// --- ControlProcess ----------------------------------------------------------------------------

ControlProcess::ControlProcess(Setup setup)
    : JsonProcess("control", {kControl, "--config", setup.config_path}, Stream::err), setup_(std::move(setup)) {}

std::size_t ControlProcess::refused(const std::string& reason) const {
  return count(ev("refused").with("reason", reason));
}

// --- CliDevice ---------------------------------------------------------------------------------

CliDevice::CliDevice(const std::string& user, const std::string& device, const std::vector<std::string>& argv)
    : JsonProcess(user, argv, Stream::out), user_(user), device_(device) {}

std::string CliDevice::call(const std::vector<std::string>& callees) {
  const std::size_t before = count(ev("call_id"));
  std::string line = "call";
  for (const std::string& c : callees) line += " " + c;
  command(line);
  expect(ev("result").with("command", "call").where("ok", [](const JsonLine& l) { return l.flag("ok"); }));
  return expect(ev("call_id"), kWait, before + 1).str("call_id");
}

JsonLine CliDevice::status() {
  const std::size_t before = count(ev("status"));
  command("status");
  return expect(ev("status"), kWait, before + 1);
}

std::string CliDevice::wait_incoming(const std::string& caller) {
  return expect(ev("incoming_call").with("caller", caller)).str("call_id");
}

// --- World -------------------------------------------------------------------------------------

World::World(ServiceLimits limits) : dir_("callsignal-e2e-") {
  broker_ = test::MosquittoBroker::start();
  const std::string tag = random_tag();
  ControlProcess::Setup setup;
  setup.uplink = "e2e-up-" + tag;
  setup.downlink = "e2e-down-" + tag;
  setup.kid = kKid;
  setup.config_path = dir_.file("control.json");

  const std::string key_file = dir_.file("service-key.pem");
  const std::vector<std::string> generated = run_program({kControl, "--generate-key", key_file});
  if (generated.size() != 1 || generated[0].empty()) throw std::runtime_error("--generate-key: no public key printed");

  std::ofstream config(setup.config_path);
  config << "{\n"
         << "  \"broker_uris\": [" << json_string(broker_->uri()) << "],\n"
         << "  \"uplink_parent\": " << json_string(setup.uplink) << ",\n"
         << "  \"downlink_parent\": " << json_string(setup.downlink) << ",\n"
         << "  \"mqtt_client_id\": \"callsignal@@@control-e2e\",\n"
         << "  \"mqtt_version\": 5,\n"
         << "  \"service_id\": \"callsignal-service\",\n"
         << "  \"signing_key\": {\"file\": \"service-key.pem\", \"kid\": " << json_string(kKid) << "},\n"
         << "  \"rtc\": {\"vendor\": \"test\", \"app_id\": \"e2e-app\", \"app_key\": \"e2e-rtc-app-key\"},\n"
         << "  \"limits\": {\"ring_timeout_ms\": " << limits.ring_timeout_ms
         << ", \"invite_lifetime_ms\": " << limits.invite_lifetime_ms
         << ", \"resend_interval_ms\": " << limits.resend_interval_ms
         << ", \"liveness_grace_ms\": " << limits.liveness_grace_ms << "},\n"
         << "  \"log_level\": \"debug\"\n"
         << "}\n";
  config.close();
  if (!config) throw std::runtime_error("cannot write " + setup.config_path);

  // The key the service will sign with is the one --generate-key announced.
  const std::vector<std::string> printed = run_program({kControl, "--config", setup.config_path, "--print-public-key"});
  if (printed.size() != 1 || printed[0] != generated[0]) {
    throw std::runtime_error("--print-public-key disagrees with --generate-key");
  }
  setup.public_key = printed[0];

  control_ = std::make_unique<ControlProcess>(setup);
  control_->set_context([this] { return transcripts(); });
  control_->expect(ev("broker_connected"));
}

World::~World() {
  devices_.clear();  // SIGKILL, if shutdown() did not stop them
  control_.reset();
  broker_.reset();
}

void World::add_devices(const std::vector<std::string>& users) {
  std::vector<CliDevice*> started;
  for (const std::string& user : users) {
    const std::string device = user + "-dev";
    std::vector<std::string> argv = {kCli,
                                     "--broker", broker_->uri(),
                                     "--device", device,
                                     "--user", user,
                                     "--uplink", control_->uplink(),
                                     "--downlink", control_->downlink(),
                                     "--trusted-key", control_->setup().kid + "=" + control_->setup().public_key,
                                     "--ring-timeout-ms", "60000",
                                     "--log-level", "warn",
                                     "--json"};
    devices_.push_back(std::make_unique<CliDevice>(user, device, argv));
    devices_.back()->set_context([this] { return transcripts(); });
    started.push_back(devices_.back().get());
  }
  for (CliDevice* d : started) {
    d->expect(ev("connection").with("state", "connected"));
    control_->expect(ev("hello").with("from", d->client_id()).with("user", d->user()));
  }
}

CliDevice& World::operator[](const std::string& user) {
  for (auto& d : devices_) {
    if (d->user() == user) return *d;
  }
  throw std::runtime_error("no device for user " + user);
}

void World::publish(const std::string& topic, const std::string& payload) {
  run_program({kMosquittoPub, "-h", "127.0.0.1", "-p", std::to_string(broker_->port()), "-q", "1", "-t", topic, "-m",
               payload});
}

std::string World::transcripts() {
  std::string text;
  for (const auto& d : devices_) text += d->transcript();
  if (control_) text += control_->transcript();
  return text;
}

std::vector<std::string> World::shutdown() {
  std::vector<std::string> problems;
  for (auto& d : devices_) {
    if (d->process().child().exited()) continue;
    d->process().close_stdin();  // the CLI quits at the end of its input
  }
  for (auto& d : devices_) {
    test::ChildProcess& child = d->process().child();
    if (child.exited() && !WIFEXITED(child.wait_status())) continue;  // killed by the test itself
    if (!child.wait_exit(kWait)) {
      problems.push_back(d->name() + ": did not quit at the end of its input");
      child.kill_now();
    } else if (!WIFEXITED(child.wait_status()) || WEXITSTATUS(child.wait_status()) != 0) {
      problems.push_back(d->name() + ": " + child.describe_exit());
    }
  }
  if (control_) {
    test::ChildProcess& child = control_->process().child();
    if (!child.terminate(kWait)) {
      problems.push_back("control: did not stop on SIGTERM");
    } else if (!WIFEXITED(child.wait_status()) || WEXITSTATUS(child.wait_status()) != 0) {
      problems.push_back("control: " + child.describe_exit());
    }
  }
  std::vector<InteractiveProcess*> all;
  for (auto& d : devices_) all.push_back(&d->process());
  if (control_) all.push_back(&control_->process());
  for (InteractiveProcess* p : all) {
    p->wait_output_closed(kWait);
    for (const test::OutputLine& line : p->stderr_lines().snapshot()) {
      if (is_sanitizer_report(line.text)) problems.push_back(p->name() + ": " + line.text);
    }
  }
  if (!problems.empty()) problems.push_back(transcripts());
  return problems;
}

// --- Subscriber --------------------------------------------------------------------------------

Subscriber::Subscriber(test::MosquittoBroker& broker, const std::string& topic) {
  // -d prints the SUBACK: the subscription is in place once that line is out. stdbuf -oL makes
  // each line reach the pipe when it is printed.
  process_ = std::make_unique<InteractiveProcess>(
      "mosquitto_sub", std::vector<std::string>{kStdbuf, "-oL", kMosquittoSub, "-h", "127.0.0.1", "-p", std::to_string(broker.port()),
                                                "-q", "1", "-t", topic, "-d"});
  const bool subscribed = process_->stdout_lines().wait_for(
      [](const std::vector<test::OutputLine>& lines) {
        return std::any_of(lines.begin(), lines.end(),
                           [](const test::OutputLine& l) { return l.text.find("SUBACK") != std::string::npos; });
      },
      kWait);
  if (!subscribed) throw std::runtime_error("mosquitto_sub did not subscribe\n" + process_->transcript());
}

std::vector<std::string> Subscriber::payloads() const {
  std::vector<std::string> out;
  for (const test::OutputLine& line : process_->stdout_lines().snapshot()) {
    if (!line.text.empty() && line.text[0] == '{') out.push_back(line.text);
  }
  return out;
}

std::string Subscriber::expect(const std::string& what, const std::function<bool(const std::string&)>& pred,
                               std::chrono::milliseconds timeout) {
  std::string found;
  process_->stdout_lines().wait_for(
      [&](const std::vector<test::OutputLine>& lines) {
        for (const test::OutputLine& l : lines) {
          if (!l.text.empty() && l.text[0] == '{' && pred(l.text)) {
            found = l.text;
            return true;
          }
        }
        return false;
      },
      timeout);
  if (found.empty()) {
    throw std::runtime_error("mosquitto_sub: no " + what + " within " + ms_text(timeout) + "\n" +
                             process_->transcript());
  }
  return found;
}

// --- helpers -----------------------------------------------------------------------------------

std::vector<std::string> run_program(const std::vector<std::string>& argv) {
  InteractiveProcess p(argv[0].substr(argv[0].find_last_of('/') + 1), argv);
  p.close_stdin();
  if (!p.child().wait_exit(kWait)) throw std::runtime_error(p.name() + ": still running after " + ms_text(kWait));
  p.wait_output_closed(kWait);
  if (!WIFEXITED(p.child().wait_status()) || WEXITSTATUS(p.child().wait_status()) != 0) {
    throw std::runtime_error(p.name() + ": " + p.child().describe_exit() + "\n" + p.transcript());
  }
  std::vector<std::string> out;
  for (const test::OutputLine& line : p.stdout_lines().snapshot()) out.push_back(line.text);
  return out;
}

std::string random_tag() {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* const hex = "0123456789abcdef";
  std::string tag;
  for (int i = 0; i < 8; ++i) tag += hex[rng() % 16];
  return tag;
}

}  // namespace callsignal::e2e

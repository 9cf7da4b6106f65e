// The callsignal-control program: JSON config, structured logs on stderr, a clean stop on SIGTERM,
// the key printing options a demo script uses.
#include <catch2/catch.hpp>
#include <poll.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "service/service_fixture.h"
#include "support/files.h"
#include "support/process.h"
#include "support/shared_broker.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

const std::string kBinary = CALLSIGNAL_CONTROL_BINARY;
const std::string kAppKey = "app-key-that-must-never-be-logged";

// Reads a child's stderr as lines, with deadlines.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // Reads until a line contains `text`; false at EOF or timeout.
  bool until(const std::string& text, std::chrono::milliseconds timeout) {
    Deadline deadline(timeout);
    while (true) {
      for (; checked_ < lines_.size(); ++checked_) {
        if (lines_[checked_].find(text) != std::string::npos) {
          ++checked_;
          return true;
        }
      }
      if (eof_ || deadline.expired() || !read_some(deadline)) return false;
    }
  }
  // Reads everything until EOF (the child exited) or timeout.
  void to_end(std::chrono::milliseconds timeout) {
    Deadline deadline(timeout);
    while (!eof_ && !deadline.expired() && read_some(deadline)) {
    }
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  bool read_some(const Deadline& deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, deadline.poll_timeout_ms()) <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) {
      eof_ = true;
      if (!partial_.empty()) lines_.push_back(partial_);
      return false;
    }
    partial_.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    return true;
  }

  int fd_;
  std::string partial_;
  std::vector<std::string> lines_;
  std::size_t checked_ = 0;
  bool eof_ = false;
};

struct BinarySetup {
  TempDir dir{"callsignal-svc-"};
  Signer signer = Signer::generate("svc-bin-1").value();
  std::string tag = random_tag();
  std::string uplink = "u" + tag;
  std::string downlink = "d" + tag;
  std::string config_path = dir.file("control.json");

  BinarySetup() {
    write_file(dir.file("key.pem"), signer.private_key_pem().value());
    write_file(config_path, R"({
  "broker_uris": [")" + shared_broker_uri() + R"("],
  "uplink_parent": ")" + uplink + R"(",
  "downlink_parent": ")" + downlink + R"(",
  "mqtt_client_id": "svc@@@bin-)" + tag + R"(",
  "session_expiry_s": 60,
  "signing_key": {"file": "key.pem", "kid": "svc-bin-1"},
  "rtc": {"vendor": "test", "app_id": "bin-app", "app_key": ")" + kAppKey + R"("},
  "limits": {"resend_interval_ms": 300},
  "log_level": "debug"
})");
  }
};

// Runs the binary with `args` through /bin/sh, stdout to `out`; returns the exit status.
int run_to_file(const std::string& args, const std::string& out) {
  ChildProcess child = ChildProcess::spawn({"/bin/sh", "-c", "exec " + kBinary + " " + args + " > " + out});
  REQUIRE(child.wait_exit(10s));
  return WIFEXITED(child.wait_status()) ? WEXITSTATUS(child.wait_status()) : -1;
}

}  // namespace

TEST_CASE("service: the callsignal-control binary serves, logs JSON lines and stops on SIGTERM") {
  BinarySetup setup;
  ChildProcess child = ChildProcess::spawn({kBinary, "--config", setup.config_path});
  LineReader log(child.stderr_fd());
  REQUIRE(log.until("\"broker_connected\"", 10s));

  // A device trusting the service's public key gets a signed answer.
  TestDevice device(shared_broker_uri(), setup.uplink, setup.downlink, "bin", setup.signer);
  connect_all({&device});
  Envelope ack = device.hello("alice");
  CHECK(ack.from == "callsignal-service");
  CHECK(device.refused() == 0);
  // And a call: the binary mints with the configured app.
  const std::string request_id = device.send(MessageType::call_request, "", call_request_body({"nobody"}));
  Envelope invite = device.wait_for(MessageType::invite, body_is("request_id", request_id));
  CHECK(invite.body.get_string_map("rtc").value().at("appid") == "bin-app");
  REQUIRE(log.until("\"call_ended\"", 10s));

  child.send_signal(SIGTERM);
  REQUIRE(child.wait_exit(10s));
  CHECK(child.describe_exit() == "exit code 0");
  log.to_end(5s);
  REQUIRE_FALSE(log.lines().empty());
  CHECK(log.lines().back().find("\"service_stopped\"") != std::string::npos);
  const std::string private_pem = setup.signer.private_key_pem().value();
  const std::string private_key_body = private_pem.substr(28, 40);  // past "-----BEGIN PRIVATE KEY-----\n"
  for (const std::string& line : log.lines()) {
    INFO(line);
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    CHECK(doc.HasMember("ts"));
    CHECK(doc.HasMember("level"));
    CHECK(doc.HasMember("event"));
    CHECK(line.find(kAppKey) == std::string::npos);
    CHECK(line.find(private_key_body) == std::string::npos);
  }
}

TEST_CASE("service: callsignal-control --help, --print-public-key, and a bad config") {
  BinarySetup setup;
  const std::string out = setup.dir.file("out.txt");
  CHECK(run_to_file("--help", out) == 0);
  CHECK(read_file(out).find("--config FILE") != std::string::npos);

  CHECK(run_to_file("--config " + setup.config_path + " --print-public-key", out) == 0);
  CHECK(read_file(out) == setup.signer.public_key_base64() + "\n");
  CHECK(run_to_file("--config " + setup.config_path + " --print-kid", out) == 0);
  CHECK(read_file(out) == "svc-bin-1\n");
  CHECK(run_to_file("--config " + setup.config_path + " --print-public-key-pem", out) == 0);
  CHECK(read_file(out) == setup.signer.public_key_pem().value());

  // A typo in a key is refused, naming it, with exit status 2.
  write_file(setup.dir.file("typo.json"), R"({"broker_urls": ["tcp://127.0.0.1:1"]})");
  CHECK(run_to_file("--config " + setup.dir.file("typo.json") + " 2> " + setup.dir.file("err.txt"), out) == 2);
  CHECK(read_file(setup.dir.file("err.txt")).find("broker_urls: unknown key") != std::string::npos);
  CHECK(run_to_file("--no-such-option 2>/dev/null", out) == 2);

  // --generate-key writes a key the service can load.
  CHECK(run_to_file("--generate-key " + setup.dir.file("new.pem"), out) == 0);
  auto generated = Signer::from_pem_file(setup.dir.file("new.pem"), "k");
  REQUIRE(generated.ok());
  CHECK(read_file(out) == generated.value().public_key_base64() + "\n");
}

// callsignal-control: the reference call control service as a program.
// Reads a JSON config, serves until SIGTERM or SIGINT, logs one JSON object per line on stderr.
// docs/control-service.md is the manual.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "control/config_file.h"
#include "control/control_service.h"
#include "control/log.h"
#include "core/envelope/signing.h"

namespace {

using namespace callsignal;
using namespace callsignal::control;

constexpr const char* kUsage = R"(usage: callsignal-control --config FILE [options]

The reference callsignal call control service: serves the callsignal protocol
(docs/protocol.md) on an MQTT broker until SIGTERM or SIGINT, then exits 0.
Logs are JSON lines on stderr: {"ts":...,"level":...,"event":...,...}.

options:
  --config FILE            the JSON config (see examples/control-service/control-service.sample.json)
  --log-level LEVEL        debug|info|warn|error|off (overrides the config's log_level)
  --check-config           load and validate the config (and the keys it names), then exit
  --print-public-key       print the signing key's public key (base64 of the raw 32 bytes, as
                           clients configure it with TrustedKeys::add_base64) and exit
  --print-public-key-pem   print it as a PEM "PUBLIC KEY" and exit
  --print-kid              print the signing key's id and exit
  --generate-key FILE      write a new Ed25519 private key (PEM, PKCS#8, mode 0600) and exit;
                           the same as: openssl genpkey -algorithm ed25519 -out FILE
  --help                   this text
  --version                the version

exit status: 0 after a clean stop, 1 on a runtime failure, 2 on bad usage or config.
)";

void log_fatal(const char* event, const std::string& detail) {
  Logger logger(LogLevel::info);
  logger.error(event, {{"detail", detail}});
}

int generate_key(const std::string& path) {
  auto signer = Signer::generate("generated");
  if (!signer.ok()) {
    log_fatal("generate_key_failed", signer.status().message);
    return 1;
  }
  auto pem = signer.value().private_key_pem();
  if (!pem.ok()) {
    log_fatal("generate_key_failed", pem.status().message);
    return 1;
  }
  const mode_t old_mask = umask(077);
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << pem.value();
  out.close();
  umask(old_mask);
  if (!out) {
    log_fatal("generate_key_failed", "cannot write " + path);
    return 1;
  }
  std::printf("%s\n", signer.value().public_key_base64().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, log_level, print, key_out;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("callsignal-control 0.1.0 (protocol v1)\n");
      return 0;
    } else if (arg == "--config") {
      if (!value(config_path)) break;
    } else if (arg == "--log-level") {
      if (!value(log_level)) break;
    } else if (arg == "--generate-key") {
      if (!value(key_out)) break;
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--print-public-key" || arg == "--print-public-key-pem" || arg == "--print-kid") {
      print = arg;
    } else {
      std::fprintf(stderr, "callsignal-control: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (!key_out.empty()) return generate_key(key_out);
  if (config_path.empty()) {
    std::fprintf(stderr, "callsignal-control: --config FILE is required\n\n%s", kUsage);
    return 2;
  }

  auto config = load_config_file(config_path);
  if (!config.ok()) {
    log_fatal("config_error", config.status().message);
    return 2;
  }
  if (!log_level.empty() && !parse_log_level(log_level, config.value().log_level)) {
    std::fprintf(stderr, "callsignal-control: --log-level must be debug|info|warn|error|off\n");
    return 2;
  }
  if (print == "--print-public-key") {
    std::printf("%s\n", config.value().signer.public_key_base64().c_str());
    return 0;
  }
  if (print == "--print-kid") {
    std::printf("%s\n", config.value().signer.key_id().c_str());
    return 0;
  }
  if (print == "--print-public-key-pem") {
    auto pem = config.value().signer.public_key_pem();
    if (!pem.ok()) {
      log_fatal("public_key_error", pem.status().message);
      return 1;
    }
    std::fputs(pem.value().c_str(), stdout);
    return 0;
  }
  if (check_only) {
    std::printf("config ok\n");
    return 0;
  }

  // Block the stop signals in every thread (the service's threads inherit this mask), and wait
  // for them here: no async-signal-safety questions, and a clean stop on the main thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    log_fatal("startup_failed", "pthread_sigmask failed");
    return 1;
  }

  auto service = ControlService::create(std::move(config).value());
  if (!service.ok()) {
    log_fatal("startup_failed", service.status().message);
    return service.status().code == Errc::invalid_config ? 2 : 1;
  }
  if (Status s = service.value()->start(); !s.ok()) {
    log_fatal("startup_failed", s.message);
    return 1;
  }

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  {
    Logger logger(service.value()->config().log_level, nullptr);
    logger.info("signal", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  }
  service.value()->stop();
  service.value().reset();
  return 0;
}

// callsignal_chaos: the chaos harness's runner (tests/chaos/README.md).
//   callsignal_chaos --short                 the bounded ctest mode (smaller under sanitizers)
//   callsignal_chaos --minutes N             the long mode (scripts/chaos.sh)
// Options: --seed S (or env CALLSIGNAL_CHAOS_SEED) replays a seed; --seconds S, --clients N,
// --rate R (invites/s), --settle S, --max-skew-ms MS override the mode's workload;
// --replay-prefix CMD is what a failing run prints to replay it (followed by --seed S).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "chaos/chaos_run.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: callsignal_chaos (--short | --minutes N) [--seed S] [--seconds S] [--clients N] [--rate R]\n"
               "                        [--settle S] [--max-skew-ms MS] [--replay-prefix CMD]\n");
  return 2;
}

// The devices inherit the environment. Their exits are checked for crashes and ASan errors, but
// not for leaks: broker crashes during writes drive Paho into its failed-write defect, after which
// Paho's own in-flight copies are unreachable (docs/session.md, "Paho defects"), and LeakSanitizer
// would report that memory at every such device's exit. The SDK's leaks are the capi and
// integration tests' job (1,000 client cycles under ASan). The runner keeps its own leak check.
void disable_device_leak_checks() {
  const char* current = std::getenv("ASAN_OPTIONS");
  const std::string options = std::string(current != nullptr ? current : "") + ":detect_leaks=0";
  setenv("ASAN_OPTIONS", options.c_str(), 1);
}

}  // namespace

int main(int argc, char** argv) {
  using callsignal::chaos::RunOptions;
  RunOptions options;
  options.client_program = CALLSIGNAL_CHAOS_CLIENT;
  const std::string sanitize = CALLSIGNAL_CHAOS_SANITIZE;
  bool mode_set = false;
  bool seed_set = false;
  std::string replay_prefix;
  std::string overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(usage());
      }
      return argv[++i];
    };
    if (arg == "--short") {
      mode_set = true;
      if (sanitize == "thread") {
        options.clients = 3;
        options.invites_per_second = 15;
        options.chaos_seconds = 20;
        options.settle_seconds = 60;
      } else if (sanitize == "address") {
        options.clients = 3;
        options.invites_per_second = 25;
        options.chaos_seconds = 20;
        options.settle_seconds = 60;
        disable_device_leak_checks();
      }
      overrides += " --short";
    } else if (arg == "--minutes") {
      mode_set = true;
      const std::string v = value();
      options.chaos_seconds = std::stod(v) * 60;
      options.clients = 6;
      options.invites_per_second = 60;
      options.settle_seconds = 60;
      options.long_ttl_ms = 3'600'000;
      overrides += " --minutes " + v;
    } else if (arg == "--seed") {
      options.seed = std::stoull(value());
      seed_set = true;
    } else if (arg == "--seconds") {
      const std::string v = value();
      options.chaos_seconds = std::stod(v);
      overrides += " --seconds " + v;
    } else if (arg == "--clients") {
      const std::string v = value();
      options.clients = std::stoul(v);
      overrides += " --clients " + v;
    } else if (arg == "--rate") {
      const std::string v = value();
      options.invites_per_second = std::stod(v);
      overrides += " --rate " + v;
    } else if (arg == "--settle") {
      const std::string v = value();
      options.settle_seconds = std::stod(v);
      overrides += " --settle " + v;
    } else if (arg == "--max-skew-ms") {
      const std::string v = value();
      options.max_base_skew_ms = std::stoll(v);
      overrides += " --max-skew-ms " + v;
    } else if (arg == "--replay-prefix") {
      replay_prefix = value();
    } else {
      return usage();
    }
  }
  if (!mode_set || options.clients == 0 || options.invites_per_second <= 0) return usage();
  if (!seed_set) {
    if (const char* env = std::getenv("CALLSIGNAL_CHAOS_SEED"); env != nullptr && *env != '\0') {
      options.seed = std::stoull(env);
    } else {
      std::random_device device;
      options.seed = (static_cast<std::uint64_t>(device()) << 32) | device();
    }
  }
  if (replay_prefix.empty()) replay_prefix = std::string(argv[0]) + overrides;
  options.replay_command = replay_prefix + " --seed " + std::to_string(options.seed);
  return callsignal::chaos::run(options);
}

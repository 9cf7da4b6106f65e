// footprint: what the SDK costs an app.
//   callsignal_bench_footprint [--quick] [--lib-dir DIR] [--clients N]
//
//   footprint.core_static_kb        libcallsignal.a (the core and the C ABI, the static library
//                                   desktop apps link), copied and `strip --strip-unneeded`, KiB
//   footprint.shared_kb             libcallsignal.so (the real file behind the soname), stripped
//                                   the same way, KiB
//   footprint.core_linked_kb        what the whole static library adds to an app: a small C
//                                   program linked with all of libcallsignal.a (--whole-archive)
//                                   minus the same program without it, both stripped, KiB. The
//                                   archive is larger than the code it links: each object file
//                                   carries its own copy of the inline and template code and the
//                                   symbols the linker needs, which linking folds away.
//   footprint.rss_per_client_kb     (VmRSS with N idle connected clients - VmRSS before the first
//                                   client) / N, from /proc/self/status. N = 1,000 (quick: 200).
//                                   "Before" is taken after the library is loaded and before any
//                                   client exists, so the per-process cost (Paho's and the SDK's
//                                   threads and their stacks) is spread over the N clients.
//   footprint.threads_1000_clients  Threads in /proc/self/status with the N clients connected
//                                   (quick mode: 200 clients; the count does not grow with N)
//
// --lib-dir: where libcallsignal.a and libcallsignal.so are; default: the build tree this binary
// lives in (<build>/bench/callsignal_bench_footprint -> <build>/src).
// The clients are real SDK clients (C ABI, own data_dir each) connected to a Mosquitto on
// 127.0.0.1; no service runs (their hello goes unanswered, which costs nothing while idle).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/fleet.h"
#include "common/stats.h"
#include "support/broker.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::bench;
namespace fs = std::filesystem;

namespace {

// Size in KiB of `path` after `strip --strip-unneeded` of a copy in `dir`.
double stripped_kb(const fs::path& path, const std::string& dir) {
  const fs::path real = fs::canonical(path);
  const fs::path copy = fs::path(dir) / real.filename();
  fs::copy_file(real, copy, fs::copy_options::overwrite_existing);
  test::ChildProcess strip = test::ChildProcess::spawn({"/usr/bin/strip", "--strip-unneeded", copy.string()});
  if (!strip.wait_exit(std::chrono::seconds(60)) || !WIFEXITED(strip.wait_status()) ||
      WEXITSTATUS(strip.wait_status()) != 0) {
    throw std::runtime_error("strip " + copy.string() + ": " + strip.describe_exit());
  }
  return static_cast<double>(fs::file_size(copy)) / 1024.0;
}

// The directory of this program (the probes are built beside it).
fs::path own_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : exe.parent_path();
}

std::string default_lib_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("src") : (exe.parent_path().parent_path() / "src").string();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bool quick = has_flag(argc, argv, "--quick");
    const std::size_t clients = std::stoul(option_value(argc, argv, "--clients", quick ? "200" : "1000"));
    const fs::path lib_dir = option_value(argc, argv, "--lib-dir", default_lib_dir());
    const unsigned long fds = raise_fd_limit();

    test::TempDir dir("callsignal-bench-footprint-");
    const double static_kb = stripped_kb(lib_dir / "libcallsignal.a", dir.path());
    const double shared_kb = stripped_kb(lib_dir / "libcallsignal.so", dir.path());
    const double linked_kb = stripped_kb(own_dir() / "callsignal_probe_linked_app", dir.path()) -
                             stripped_kb(own_dir() / "callsignal_probe_empty_app", dir.path());
    // For the table only: the core without the C ABI (internal; what the bindings sit on).
    const double core_only_kb = fs::exists(lib_dir / "libcallsignal_core.a")
                                    ? stripped_kb(lib_dir / "libcallsignal_core.a", dir.path())
                                    : -1;

    test::BrokerOptions broker_options;
    broker_options.extra_config = "max_queued_messages 100000\n";
    auto broker = test::MosquittoBroker::start(broker_options);

    const long rss_before = self_rss_kb();
    const long threads_before = self_threads();
    FleetOptions options;
    options.clients = clients;
    options.broker_uri = broker->uri();
    options.uplink = "bench-up";
    options.downlink = "bench-down";
    options.key_id = "bench-key-1";
    options.public_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";  // any valid key: nothing is signed here
    options.data_root = dir.file("clients");
    double connect_ms = 0;
    std::vector<double> sequential_ms;
    long rss_after = 0;
    long threads_after = 0;
    {
      Fleet fleet(options, nullptr);
      connect_ms = fleet.connect_all(std::chrono::seconds(120));
      rss_after = self_rss_kb();
      threads_after = self_threads();
      // Paho's connect delay, seen through the SDK: three more clients connected one after
      // another while the fleet sits idle (see common/fleet.h).
      FleetOptions more = options;
      more.clients = 3;
      more.tag = "s";
      more.data_root = dir.file("sequential");
      Fleet sequential(more, nullptr);
      for (std::size_t i = 0; i < more.clients; ++i) sequential_ms.push_back(sequential.connect_one(i, std::chrono::seconds(30)));
    }
    broker->stop();
    const double per_client = static_cast<double>(rss_after - rss_before) / static_cast<double>(clients);

    std::printf("footprint%s: %zu idle connected clients in this process (fd limit %lu)\n\n",
                quick ? " (quick: fewer clients)" : "", clients, fds);
    std::printf("| %-58s | %18s |\n|%s|%s|\n", "figure", "value", std::string(60, '-').c_str(),
                std::string(20, '-').c_str());
    table_row("libcallsignal.a stripped (core + C ABI), KiB", fixed(static_kb, 1));
    table_row("libcallsignal.so stripped, KiB", fixed(shared_kb, 1));
    table_row("all of libcallsignal.a linked into an app, stripped, KiB", fixed(linked_kb, 1));
    if (core_only_kb >= 0) table_row("libcallsignal_core.a stripped (no C ABI; table only), KiB", fixed(core_only_kb, 1));
    table_row("VmRSS before the first client, KiB", std::to_string(rss_before));
    table_row("VmRSS with " + std::to_string(clients) + " connected clients, KiB", std::to_string(rss_after));
    table_row("RSS per idle connected client, KiB", fixed(per_client, 1));
    table_row("threads before the first client", std::to_string(threads_before));
    table_row("threads with " + std::to_string(clients) + " connected clients", std::to_string(threads_after));
    table_row("time to connect all " + std::to_string(clients) + " (all at once), ms", fixed(connect_ms, 0));
    std::string each;
    for (double ms : sequential_ms) each += (each.empty() ? "" : ", ") + fixed(ms, 0);
    table_row("3 more clients connected one after another, ms each", each);
    std::printf("\n");
    result("footprint.core_static_kb", static_kb);
    result("footprint.shared_kb", shared_kb);
    result("footprint.core_linked_kb", linked_kb);
    result("footprint.rss_per_client_kb", per_client);
    result("footprint.threads_1000_clients", static_cast<double>(threads_after));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "footprint: %s\n", e.what());
    return 1;
  }
}

// A session in a child process, for tests that SIGKILL it.
//   callsignal_session_probe publish URI DATA_DIR DEVICE TOPIC COUNT
//       queues COUNT messages "m0".."m<COUNT-1>" to TOPIC, prints "queued COUNT" on stderr, then
//       waits until the broker acknowledged all of them and prints "published" (exit 0).
//   callsignal_session_probe drain URI DATA_DIR DEVICE
//       connects and waits until the outbox left by an earlier process is empty: "drained".
// Exit 1 on error or when 30 s pass first. All output goes to stderr (the harness reads it).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/session/session.h"

namespace {

using namespace callsignal;

class Listener : public SessionListener {
 public:
  void on_published(std::uint64_t) override { changed(); }
  void on_connection(const ConnectionEvent&) override { changed(); }

  template <typename Pred>
  bool wait(Pred pred, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, pred);
  }

 private:
  void changed() {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
};

SessionConfig probe_config(const std::string& uri, const std::string& data_dir, const std::string& device) {
  SessionConfig config;
  config.broker_uris = {uri};
  config.group_id = "GID_probe";
  config.device_id = device;
  config.uplink_parent = "up";
  config.downlink_parent = "dl";
  config.data_dir = data_dir;
  config.presence.enabled = false;
  config.backoff.initial = std::chrono::milliseconds(100);
  config.backoff.max = std::chrono::milliseconds(500);
  config.connect_timeout = std::chrono::seconds(2);
  return config;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return fail("usage: publish URI DATA_DIR DEVICE TOPIC COUNT | drain URI DATA_DIR DEVICE");
  const std::string mode = argv[1];
  Listener listener;
  auto session = Session::create(probe_config(argv[2], argv[3], argv[4]), listener, EventLoop::create("probe"));
  if (!session.ok()) return fail(session.status().message);
  auto& s = *session.value();
  if (mode == "publish") {
    if (argc != 7) return fail("publish needs TOPIC COUNT");
    const int count = std::stoi(argv[6]);
    for (int i = 0; i < count; ++i) {
      auto seq = s.publish(argv[5], "m" + std::to_string(i));
      if (!seq.ok()) return fail(seq.status().message);
    }
    std::fprintf(stderr, "queued %d\n", count);
    std::fflush(stderr);
  } else if (mode != "drain") {
    return fail("unknown mode " + mode);
  }
  if (Status st = s.start(); !st.ok()) return fail(st.message);
  const bool done = listener.wait([&] { return s.stats().outbox_pending == 0; }, std::chrono::seconds(30));
  if (!done) return fail("outbox not drained within 30 s");
  std::fprintf(stderr, "%s\n", mode == "publish" ? "published" : "drained");
  return 0;
}

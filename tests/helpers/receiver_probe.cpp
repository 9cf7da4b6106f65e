// A receiving device in a child process, for the kill test: Session + MessageFilter + an app log.
//   callsignal_receiver_probe URI DATA_DIR DEVICE APP_LOG KEY_ID PUBLIC_KEY_BASE64
// Every message the app is given is appended to APP_LOG as "<id>\n" (one write(), so a SIGKILL
// never leaves half a line). Messages replayed after a restart may have been given to the app just
// before the kill: like a real app, the probe checks its own log for those. Every durably recorded
// id is acked to the service on <uplink>/req. Prints "ready" on stderr once connected and replayed,
// then runs until killed.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <string>

#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"
#include "core/filter/message_filter.h"
#include "core/session/session.h"

namespace {

using namespace callsignal;

int fail(const std::string& why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  return 1;
}

std::string ack_frame(const std::string& client_id, const std::string& acked_id) {
  Envelope ack;
  ack.id = new_message_id().value();
  ack.type = MessageType::ack;
  ack.from = client_id;
  ack.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
  ack.ttl_ms = 60'000;
  ack.body.set_string_list("ids", {acked_id});
  return encode_frame(encode_message(ack).value()).value();
}

class App : public SessionListener {
 public:
  App(const std::string& log_path, MessageFilter& filter) : filter_(filter) {
    std::ifstream existing(log_path);
    for (std::string line; std::getline(existing, line);) given_.insert(line);
    fd_ = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
  ~App() override { ::close(fd_); }
  bool log_open() const { return fd_ >= 0; }

  // A replayed message may have reached the app before the kill: the app's own log decides.
  void give(const std::string& id, bool replayed) {
    if (!(replayed && given_.count(id))) {
      const std::string line = id + "\n";
      if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
      given_.insert(id);
    }
    (void)filter_.mark_delivered(id);
  }

  void on_message(const InboundMessage& message) override {
    if (const Decoded* decoded = decoded_of(message)) give(decoded->message.id, false);
  }
  void on_connection(const ConnectionEvent& event) override {
    if (event.state != ConnectionState::connected) return;
    std::lock_guard<std::mutex> lock(mu_);
    connected_ = true;
    cv_.notify_all();
  }
  void wait_connected() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return connected_; });
  }

 private:
  MessageFilter& filter_;
  std::set<std::string> given_;
  int fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) return fail("usage: URI DATA_DIR DEVICE APP_LOG KEY_ID PUBLIC_KEY_BASE64");
  SessionConfig config;
  config.broker_uris = {argv[1]};
  config.group_id = "GID_kill";
  config.device_id = argv[3];
  config.uplink_parent = "up";
  config.downlink_parent = "dl";
  config.data_dir = argv[2];
  config.presence.enabled = false;
  config.backoff.initial = std::chrono::milliseconds(50);
  config.backoff.max = std::chrono::milliseconds(200);
  const std::string client_id = config.group_id + "@@@" + config.device_id;

  std::atomic<Session*> session{nullptr};
  FilterConfig filter_config;
  filter_config.data_dir = argv[2];
  filter_config.client_id = client_id;
  if (Status s = filter_config.trusted_keys.add_base64(argv[5], argv[6]); !s.ok()) return fail(s.message);
  filter_config.on_recorded = [&session, client_id](const Envelope& message) {
    if (Session* s = session.load()) (void)s->publish("up/req", ack_frame(client_id, message.id));
  };
  auto filter = MessageFilter::open(std::move(filter_config));
  if (!filter.ok()) return fail(filter.status().message);

  App app(argv[4], *filter.value());
  if (!app.log_open()) return fail("cannot open the app log");
  auto created = Session::create(config, app, EventLoop::create("probe"), filter.value().get());
  if (!created.ok()) return fail(created.status().message);
  session = created.value().get();

  // What the ledger kept but the app had not been given when the last process died.
  for (const ReplayedMessage& kept : filter.value()->undelivered()) {
    app.give(kept.message.id, true);
    (void)session.load()->publish("up/req", ack_frame(client_id, kept.message.id));
  }
  if (Status s = created.value()->start(); !s.ok()) return fail(s.message);
  app.wait_connected();
  std::fprintf(stderr, "ready\n");
  std::fflush(stderr);
  std::mutex forever;
  std::condition_variable never;
  std::unique_lock<std::mutex> lock(forever);
  never.wait(lock, [] { return false; });  // until SIGKILL
}

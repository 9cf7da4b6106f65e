#include "control/control_service.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include "control/engine.h"
#include "control/session_setup.h"
#include "core/session/session.h"

namespace callsignal::control {

namespace {

std::int64_t wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t mono_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct ControlService::Impl : SessionListener {
  ControlConfig config;
  Logger logger;
  std::unique_ptr<RtcMinter> minter;
  std::shared_ptr<EventLoop> loop;
  std::unique_ptr<Engine> engine;  // used on the loop thread only
  std::unique_ptr<Session> session;
  std::chrono::milliseconds tick_interval{100};
  EventLoop::TimerId tick_timer = 0;  // loop thread only
  bool ticking = false;              // loop thread only

  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  bool is_connected = false;
  bool started = false;
  bool stopped = false;
  ControlStats final_stats;

  Impl(ControlConfig c, std::unique_ptr<RtcMinter> m)
      : config(std::move(c)), logger(config.log_level, config.log_sink), minter(std::move(m)) {}

  // SessionListener: on the loop thread.
  void on_connection(const ConnectionEvent& event) override {
    {
      std::lock_guard<std::mutex> lock(mutex);
      is_connected = event.state == ConnectionState::connected;
    }
    cv.notify_all();
    switch (event.state) {
      case ConnectionState::connected:
        logger.info("broker_connected", {{"broker", event.broker_uri}, {"session_present", event.session_present}});
        break;
      case ConnectionState::disconnected:
        logger.warn("broker_disconnected", {{"detail", event.detail}, {"retry_in_ms",
                                                                      static_cast<std::int64_t>(event.retry_in.count())}});
        break;
      default: break;
    }
  }
  void on_message(const InboundMessage& message) override {
    engine->on_uplink(message.topic, message.payload, wall_now(), mono_now());
  }
  void on_error(const Status& status) override { logger.error("session_error", {{"detail", status.message}}); }

  void arm_tick() {
    tick_timer = loop->post_after(tick_interval, [this] {
      tick_timer = 0;
      if (!ticking) return;
      engine->tick(wall_now(), mono_now());
      arm_tick();
    });
  }

  // Runs `job` on the loop thread and waits for it; directly when already there.
  template <class T, class Job>
  T on_loop(Job job) const {
    if (loop->in_loop_thread()) return job();
    std::packaged_task<T()> task(std::move(job));
    auto result = task.get_future();
    loop->post([&task] { task(); });
    return result.get();
  }
};

ControlService::ControlService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<ControlService>> ControlService::create(ControlConfig config) {
  if (Status s = validate(config); !s.ok()) return s;
  auto minter = make_rtc_minter(config.rtc);
  if (!minter.ok()) return minter.status();
  auto session_config = session_config_for(config);
  if (!session_config.ok()) return session_config.status();

  auto impl = std::make_unique<Impl>(std::move(config), std::move(minter).value());
  Impl* raw = impl.get();
  raw->tick_interval = std::chrono::milliseconds(
      std::clamp<std::int64_t>(raw->config.limits.resend_interval_ms / 2, 10, 100));
  raw->loop = EventLoop::create("cs-control");
  raw->engine = std::make_unique<Engine>(
      raw->config, *raw->minter,
      [raw](const std::string& topic, const std::string& payload, PublishOptions options) -> Status {
        auto published = raw->session->publish(topic, payload, options);
        return published.ok() ? Status::success() : published.status();
      },
      raw->logger);
  auto session = Session::create(std::move(session_config).value(), *raw, raw->loop);
  if (!session.ok()) return session.status();
  raw->session = std::move(session).value();
  return std::unique_ptr<ControlService>(new ControlService(std::move(impl)));
}

ControlService::~ControlService() { stop(); }

Status ControlService::start() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->started || impl_->stopped) return Status::error(Errc::invalid_state, "start: already started or stopped");
    impl_->started = true;
  }
  const ControlConfig& c = impl_->config;
  impl_->logger.info("service_starting", {{"client_id", c.mqtt_client_id},
                                          {"uplink", c.uplink_parent},
                                          {"downlink", c.downlink_parent},
                                          {"request_filter", request_filter(c)},
                                          {"service_id", c.service_id},
                                          {"kid", c.signer.key_id()},
                                          {"public_key", c.signer.public_key_base64()},
                                          {"rtc_vendor", impl_->minter->vendor()},
                                          {"rtc_app_id", c.rtc.app_id}});
  impl_->on_loop<void>([this] {
    impl_->ticking = true;
    impl_->arm_tick();
  });
  return impl_->session->start();
}

void ControlService::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  // No message reaches the engine once close() returns; then the ticks stop, on the loop thread.
  impl_->session->close();
  ControlStats last = impl_->on_loop<ControlStats>([this] {
    impl_->ticking = false;
    if (impl_->tick_timer != 0) impl_->loop->cancel(impl_->tick_timer);
    impl_->tick_timer = 0;
    return impl_->engine->stats();
  });
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->final_stats = last;
    impl_->is_connected = false;
  }
  impl_->cv.notify_all();
  impl_->logger.info("service_stopped", {{"requests", last.requests},
                                         {"refused", last.refused_total()},
                                         {"calls_created", last.calls_created},
                                         {"calls_active", last.calls_active},
                                         {"downlink_sent", last.downlink_sent},
                                         {"resends", last.resends},
                                         {"pending_acks", last.pending_acks}});
}

bool ControlService::connected() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->is_connected;
}

bool ControlService::wait_connected(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->is_connected; });
}

ControlStats ControlService::stats() const {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return impl_->final_stats;
  }
  return impl_->on_loop<ControlStats>([this] { return impl_->engine->stats(); });
}

std::vector<std::string> ControlService::live_calls() const {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return {};
  }
  return impl_->on_loop<std::vector<std::string>>([this] { return impl_->engine->live_calls(); });
}

std::vector<std::string> ControlService::describe_call(const std::string& call_id) const {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return {};
  }
  return impl_->on_loop<std::vector<std::string>>([this, call_id] { return impl_->engine->describe_call(call_id); });
}

const std::string& ControlService::key_id() const { return impl_->config.signer.key_id(); }
std::string ControlService::public_key_base64() const { return impl_->config.signer.public_key_base64(); }
const ControlConfig& ControlService::config() const { return impl_->config; }

}  // namespace callsignal::control

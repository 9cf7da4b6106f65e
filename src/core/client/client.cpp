#include "core/client/client.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <utility>

#include "core/client/call_errors.h"
#include "core/client/request_tracker.h"
#include "core/client/uplink.h"
#include "core/common/log.h"
#include "core/envelope/message_id.h"
#include "core/envelope/schema.h"

namespace callsignal {
namespace {

constexpr const char* kSdkName = "callsignal/0.1.0";
// A status message stays valid for as long as the protocol allows: the service keeps the newest
// per client by ts and never expires it (docs/protocol.md section 7).
constexpr std::int64_t kStatusTtlMs = 3'600'000;

std::int64_t local_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void log_info(const std::string& client_id, const std::string& what) {
  if (log_enabled(LogLevel::info)) log_line(LogLevel::info, client_id + ": " + what);
}

}  // namespace

class Client::Core final : public InboxListener, public std::enable_shared_from_this<Core> {
 public:
  Core(ClientConfig config, std::shared_ptr<ClientListener> listener, std::shared_ptr<EventLoop> loop)
      : config_(std::move(config)),
        client_id_(config_.session.group_id + "@@@" + config_.session.device_id),
        loop_(std::move(loop)),
        listener_(std::move(listener)),
        machine_(call_config(config_, client_id_)) {}

  ~Core() override {
    // close() ran (Client's destructor); what is left is releasing in dependency order: the
    // session (which calls the filter and the inbox) before them.
    session_.reset();
    inbox_.reset();
    filter_.reset();
  }

  Status open() {
    FilterConfig filter_config;
    filter_config.data_dir = config_.session.data_dir;
    filter_config.fsync = config_.session.fsync;
    filter_config.client_id = client_id_;
    filter_config.trusted_keys = config_.trusted_keys;
    filter_config.limits = config_.limits;
    filter_config.expiry = config_.expiry;
    // Paho's receive thread: an ack per durably recorded message, so the service stops re-sending.
    filter_config.on_recorded = [this](const Envelope& message) {
      if (Session* session = live_session_.load()) {
        DeviceInbox::ack_recorded(*session, message, filter_->service_now());
      }
    };
    auto filter = MessageFilter::open(std::move(filter_config));
    if (!filter.ok()) return name_data_dir(filter.status());
    filter_ = std::move(filter).value();
    inbox_ = std::make_unique<DeviceInbox>(*filter_, *this, config_.inbox);

    SessionConfig session_config = config_.session;
    session_config.presence.compose = [this](bool online) { return status_frame(online); };
    auto session = Session::create(std::move(session_config), *inbox_, loop_, filter_.get());
    if (!session.ok()) return name_data_dir(session.status());
    session_ = std::move(session).value();
    inbox_->attach(*session_, loop_);
    live_session_ = session_.get();

    log_info(client_id_, "created");
    return Status::success();
  }

  // --- life cycle ---------------------------------------------------------------------------

  Status connect() {
    if (is_closed()) return closed_status();
    if (started_.exchange(true)) return Status::success();
    // What an earlier run recorded but never handed over goes to the app first, before anything
    // the session receives (queued behind this task on the same loop).
    auto self = shared_from_this();
    loop_->post([self] {
      if (!self->is_closed()) self->inbox_->replay_undelivered();
    });
    log_info(client_id_, "connecting");
    return session_->start();
  }

  void close() {
    std::shared_ptr<ClientListener> release_here;
    const bool on_loop = loop_->in_loop_thread();
    {
      std::unique_lock<std::mutex> lock(listener_mu_);
      if (closed_) return;
      closed_ = true;
      if (!on_loop) {
        listener_cv_.wait(lock, [this] { return !dispatching_; });
        release_here = std::move(listener_);
      } else if (!dispatching_) {
        release_here = std::move(listener_);
      }
      // else: a callback of ours runs on this thread now; run_callback() releases after it.
    }
    {
      std::lock_guard<std::mutex> lock(machine_mu_);
      for (const auto& armed : timers_) loop_->cancel(armed.second.id);
      timers_.clear();
    }
    if (!session_) {
      // open() failed before the session existed: nothing to tear down.
    } else if (on_loop) {
      // The loop must not block on the session's teardown (which runs on the loop): finish it on
      // the loop's blocking-work thread, keeping the filter and the inbox alive until then.
      auto self = shared_from_this();
      loop_->post_blocking([self] { self->session_->close(); });
    } else {
      session_->close();
    }
    log_info(client_id_, "closed");
    release_here.reset();
  }

  // --- commands -----------------------------------------------------------------------------

  Result<std::string> start_call(const std::vector<std::string>& callees, Media media, const std::string& custom_json) {
    if (Status s = check_users("callees", callees); !s.ok()) return s;
    if (!custom_json.empty()) {
      auto parsed = Body::parse(custom_json, config_.limits);
      if (!parsed.ok()) return Status::error(Errc::invalid_argument, "custom_json: " + parsed.status().message);
    }
    auto id = new_message_id();
    if (!id.ok()) return id.status();
    StartCall start{id.value(), callees, media, custom_json};
    if (Status s = command(start, id.value()); !s.ok()) return s;
    return id.value();
  }

  Status call_command(const CallEvent& event, const std::string& call_id, bool ok_if_ended = false) {
    if (!is_valid_identifier(call_id)) return Status::error(Errc::invalid_argument, "call_id: not a valid call id");
    return command(event, call_id, ok_if_ended);
  }

  Status check_users(const char* what, const std::vector<std::string>& users) const {
    if (users.empty()) return Status::error(Errc::invalid_argument, std::string(what) + ": at least one user id");
    if (users.size() + 1 > config_.call.max_group) {
      return Status::error(Errc::invalid_argument, std::string(what) + ": more than max_group - 1 users");
    }
    for (std::size_t i = 0; i < users.size(); ++i) {
      if (!is_valid_identifier(users[i])) {
        return Status::error(Errc::invalid_argument, std::string(what) + "[" + std::to_string(i) +
                                                         "]: must be 1..64 bytes of UTF-8 without control characters");
      }
      if (users[i] == config_.user_id) {
        return Status::error(Errc::invalid_argument, std::string(what) + "[" + std::to_string(i) + "]: the user itself");
      }
    }
    return Status::success();
  }

  Status check_target(const std::string& target) const {
    if (!is_valid_identifier(target)) return Status::error(Errc::invalid_argument, "target: not a valid user id");
    return Status::success();
  }

  Status app_foreground() {
    if (is_closed()) return closed_status();
    background_ = false;
    session_->app_foregrounded();
    return Status::success();
  }
  Status app_background() {
    if (is_closed()) return closed_status();
    background_ = true;
    return Status::success();
  }
  Status network_changed() {
    if (is_closed()) return closed_status();
    log_info(client_id_, "network changed: reconnecting");
    session_->network_changed();
    return Status::success();
  }
  Status renew_token(const std::string& token) {
    if (is_closed()) return closed_status();
    return session_->refresh_token(token);
  }

  Status push_received(std::string_view payload) {
    if (is_closed()) return closed_status();
    auto admitted = filter_->admit_push(payload);
    if (!admitted.ok()) return admitted.status();
    if (!admitted.value()) return Status::success();  // refused or a duplicate: counted
    auto self = shared_from_this();
    loop_->post([self, message = std::move(*admitted.value())] {
      if (self->is_closed()) return;  // stays undelivered in the ledger: replayed next time
      self->on_envelope(message, false);
      MessageFilter* filter = self->filter_.get();
      self->after_delivery([filter, id = message.id] { (void)filter->mark_delivered(id); });
    });
    return Status::success();
  }

  ConnectionState connection_state() const { return session_->state(); }
  const std::string& client_id() const { return client_id_; }

  ClientStats stats() const {
    const FilterStats f = filter_->stats();
    const SessionStats s = session_->stats();
    ClientStats out;
    out.delivered = f.admitted;
    out.duplicates = f.duplicates;
    out.expired = f.expired + f.from_future;
    out.invalid = f.invalid;
    out.forged = f.forged + f.wrong_recipient;
    out.received = out.delivered + out.duplicates + out.expired + out.invalid + out.forged;
    out.reconnects = s.connects > 0 ? s.connects - 1 : 0;
    out.outbound_queued = s.outbox_pending;
    return out;
  }

  // --- InboxListener (event loop thread) ----------------------------------------------------

  void on_envelope(const Envelope& message, bool replayed) override {
    if (is_closed()) return;
    if (replayed) log_info(client_id_, "replaying " + std::string(to_string(message.type)) + " " + message.id);
    switch (message.type) {
      case MessageType::hello_ack:
        on_hello_ack(message);
        return;
      case MessageType::error:
        on_service_error(message);
        return;
      default:
        break;
    }
    std::lock_guard<std::mutex> lock(machine_mu_);
    replaying_ = replayed;
    carry_out(machine_.handle(IncomingMessage{message}, machine_now()), nullptr);
    replaying_ = false;
  }

  void on_missed_call(const MissedCall& missed) override {
    MissedCallEvent event;
    event.call_id = missed.invite.call_id;
    auto caller = missed.invite.body.get_string("caller");
    if (caller.ok()) event.caller = std::string(caller.value());
    event.reason = missed_call_reason(missed.ended_by);
    notify([event](ClientListener& l) { l.on_missed_call(event); });
  }

  // The app's callbacks for the message are queued on the loop: the mark runs behind them. A
  // close in between skips it (the callbacks may not have run): the message is replayed instead.
  void after_delivery(std::function<void()> mark_delivered) override {
    auto self = shared_from_this();
    loop_->post([self, mark = std::move(mark_delivered)] {
      if (!self->is_closed()) mark();
    });
  }

  void on_connection(const ConnectionEvent& event) override {
    if (is_closed()) return;
    log_connection(event);
    notify([event](ClientListener& l) { l.on_connection(event); });
    const bool connected = event.state == ConnectionState::connected;
    {
      std::lock_guard<std::mutex> lock(machine_mu_);
      carry_out(machine_.handle(ConnectionChanged{connected}, machine_now()), nullptr);
    }
    if (connected) send_hello();
  }

  // Runs a callback of the listener on the event thread unless close() has begun. Exceptions from
  // app code stop here.
  template <typename Call>
  void run_callback(const Call& call) {
    std::shared_ptr<ClientListener> listener;
    {
      std::lock_guard<std::mutex> lock(listener_mu_);
      if (closed_ || !listener_) return;
      listener = listener_;
      dispatching_ = true;
    }
    try {
      call(*listener);
    } catch (...) {
      if (log_enabled(LogLevel::error)) log_line(LogLevel::error, client_id_ + ": a listener callback threw");
    }
    std::shared_ptr<ClientListener> release_here;
    {
      std::lock_guard<std::mutex> lock(listener_mu_);
      dispatching_ = false;
      if (closed_) release_here = std::move(listener_);  // close() ran inside the callback
    }
    listener_cv_.notify_all();
    listener.reset();
    release_here.reset();  // the last reference: released on the event thread
  }

 private:
  struct ArmedTimer {
    EventLoop::TimerId id = 0;
    std::uint64_t generation = 0;
  };
  using TimerKey = std::pair<std::string, TimerKind>;

  static CallConfig call_config(const ClientConfig& config, const std::string& client_id) {
    CallConfig call = config.call;
    call.self_user = config.user_id;
    call.self_client = client_id;
    return call;
  }

  // I/O errors at open are about the data dir: say so, as config errors name their field.
  static Status name_data_dir(Status status) {
    if (status.code == Errc::io_error) status.message = "data_dir: " + status.message;
    return status;
  }

  bool is_closed() const {
    std::lock_guard<std::mutex> lock(listener_mu_);
    return closed_;
  }
  static Status closed_status() { return Status::error(Errc::closed, "the client is closed"); }

  // Queues a listener callback behind those already queued.
  template <typename Call>
  void notify(Call call) {
    auto self = shared_from_this();
    loop_->post([self, call = std::move(call)] { self->run_callback(call); });
  }

  // The machine's clock: our estimate of the service's, never going backwards. Under machine_mu_.
  std::int64_t machine_now() {
    machine_now_ = std::max(machine_now_, filter_->service_now());
    return machine_now_;
  }

  // Feeds a command to the machine and returns its verdict on it (see call_errors.h).
  Status command(const CallEvent& event, const std::string& key, bool ok_if_ended = false) {
    if (is_closed()) return closed_status();
    std::lock_guard<std::mutex> lock(machine_mu_);
    if (!std::holds_alternative<StartCall>(event)) {
      const CallState state = machine_.state_of(key);
      if (state == CallState::idle) return Status::error(Errc::unknown_call, "call " + key + ": unknown to this client");
      if (state == CallState::ended) {
        if (ok_if_ended) return Status::success();
        return Status::error(Errc::invalid_state, "call " + key + ": already ended");
      }
    }
    return carry_out(machine_.handle(event, machine_now()), &key);
  }

  // Carries out the machine's actions in order. Under machine_mu_, so that actions of successive
  // events keep the machine's order; the listener is only ever called through the loop's queue.
  // `command_key`: the call a command named, whose refusal becomes the returned status.
  Status carry_out(std::vector<CallAction> actions, const std::string* command_key) {
    Status verdict;
    for (CallAction& action : actions) {
      std::visit(
          [&](auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, SendRequest>) {
              Status sent = send_request(std::move(a));
              if (!sent.ok()) {
                if (command_key != nullptr && verdict.ok()) {
                  verdict = sent;
                } else {
                  report(ClientError{sent.code, a.call_id, to_string(a.type), sent.message});
                }
              }
            } else if constexpr (std::is_same_v<A, StartTimer>) {
              arm(a);
            } else if constexpr (std::is_same_v<A, CancelTimer>) {
              disarm({a.call_id, a.kind});
            } else if constexpr (std::is_same_v<A, Ring> || std::is_same_v<A, StopRinging> ||
                                 std::is_same_v<A, NotifyLiveCall>) {
              // Ringing is the incoming-call event and the state changes that follow it; live-call
              // recovery has no protocol message yet.
            } else if constexpr (std::is_same_v<A, NotifyCommandFailed>) {
              if (command_key != nullptr && a.call_id == *command_key && verdict.ok()) {
                verdict = command_refusal(a);
              } else {
                report(ClientError{refusal_code(a), a.call_id, a.what, a.what + ": " + a.why});
              }
            } else if constexpr (std::is_same_v<A, NotifyState>) {
              log_state(a);
              notify([a](ClientListener& l) { l.on_call_state(a); });
            } else if constexpr (std::is_same_v<A, NotifyIncoming>) {
              NotifyIncoming incoming = a;
              incoming.replayed = replaying_;
              notify([incoming](ClientListener& l) { l.on_incoming_call(incoming); });
            } else if constexpr (std::is_same_v<A, NotifyMissed>) {
              MissedCallEvent missed{a.call_id, a.caller, a.reason};
              notify([missed](ClientListener& l) { l.on_missed_call(missed); });
            } else if constexpr (std::is_same_v<A, NotifyCallId>) {
              notify([a](ClientListener& l) { l.on_call_id(a); });
            } else if constexpr (std::is_same_v<A, JoinRtc>) {
              notify([a](ClientListener& l) { l.on_join_rtc(a); });
            } else if constexpr (std::is_same_v<A, UpdateRtc>) {
              notify([a](ClientListener& l) { l.on_rtc_update(a); });
            } else if constexpr (std::is_same_v<A, LeaveRtc>) {
              notify([a](ClientListener& l) { l.on_leave_rtc(a); });
            } else if constexpr (std::is_same_v<A, NotifyParticipants>) {
              notify([a](ClientListener& l) { l.on_participants(a); });
            } else if constexpr (std::is_same_v<A, NotifyMuteRequested>) {
              notify([a](ClientListener& l) { l.on_mute_request(a); });
            }
          },
          action);
    }
    return verdict;
  }

  void report(ClientError error) {
    if (log_enabled(LogLevel::warn)) log_line(LogLevel::warn, client_id_ + ": " + error.what + ": " + error.message);
    notify([error = std::move(error)](ClientListener& l) { l.on_error(error); });
  }

  // Publishes a request of the machine's, remembering it for a possible error reply.
  Status send_request(SendRequest request) {
    Envelope message;
    message.id = request.message_id;
    if (message.id.empty()) {
      auto id = new_message_id();
      if (!id.ok()) return id.status();
      message.id = id.value();
    }
    message.type = request.type;
    message.from = client_id_;
    message.ttl_ms = config_.request_ttl_ms;
    message.call_id = request.call_id;
    message.body = std::move(request.body);
    const std::int64_t now = machine_now();
    const std::string key = request.call_id.empty() ? request.message_id : request.call_id;
    requests_.add(message.id, PendingRequest{key, message.type, now + message.ttl_ms + config_.expiry.skew_tolerance_ms},
                  now);
    auto sent = publish_own(*session_, session_->topics().uplink(kRequestTopicLevel), std::move(message), now);
    if (!sent.ok()) return sent.status();
    return Status::success();
  }

  void arm(const StartTimer& timer) {
    const TimerKey key{timer.call_id, timer.kind};
    disarm(key);
    const std::uint64_t generation = ++timer_generation_;
    std::weak_ptr<Core> weak = weak_from_this();
    const EventLoop::TimerId id = loop_->post_after(
        std::chrono::milliseconds(std::max<std::int64_t>(0, timer.duration_ms)),
        [weak, key, generation] {
          if (auto self = weak.lock()) self->on_timer(key, generation);
        });
    timers_[key] = ArmedTimer{id, generation};
  }

  void disarm(const TimerKey& key) {
    auto found = timers_.find(key);
    if (found == timers_.end()) return;
    loop_->cancel(found->second.id);
    timers_.erase(found);
  }

  // A timer fired on the event thread. The generation check drops a fire that raced a re-arm or a
  // cancel made from another thread.
  void on_timer(const TimerKey& key, std::uint64_t generation) {
    if (is_closed()) return;
    std::lock_guard<std::mutex> lock(machine_mu_);
    auto found = timers_.find(key);
    if (found == timers_.end() || found->second.generation != generation) return;
    timers_.erase(found);
    carry_out(machine_.handle(TimerFired{key.first, key.second}, machine_now()), nullptr);
  }

  // hello after every connect: the service learns who we are, and the ack gives a clock sample.
  void send_hello() {
    Envelope hello;
    hello.type = MessageType::hello;
    hello.from = client_id_;
    hello.ttl_ms = config_.request_ttl_ms;
    hello.body.set_string("user", config_.user_id);
    hello.body.set_string("sdk", kSdkName);
    hello.body.set_string("platform", config_.platform);
    auto id = new_message_id();
    if (!id.ok()) return;
    hello.id = id.value();
    {
      std::lock_guard<std::mutex> lock(machine_mu_);
      hello_id_ = hello.id;
      hello_local_t0_ = local_clock_ms();
    }
    auto sent = publish_own(*session_, session_->topics().uplink(kRequestTopicLevel), std::move(hello),
                            filter_->service_now());
    if (!sent.ok()) report(ClientError{sent.status().code, "", "hello", sent.status().message});
  }

  void on_hello_ack(const Envelope& ack) {
    const std::int64_t t3 = local_clock_ms();
    auto hello_id = ack.body.get_string("hello_id");
    std::int64_t t0 = 0;
    {
      std::lock_guard<std::mutex> lock(machine_mu_);
      if (!hello_id.ok() || hello_id.value() != hello_id_) return;  // an old or foreign ack
      t0 = hello_local_t0_;
      hello_id_.clear();
    }
    auto received = ack.body.get_int("received_ts");
    const std::int64_t t1 = received.ok() ? received.value() : ack.ts_ms;
    const bool used = filter_->add_clock_sample(t0, (t1 + ack.ts_ms) / 2, t3);
    if (used) {
      // The machine's clock never goes backwards, except here: before the first sample it ran on
      // the device clock, which may be minutes ahead of the service's, and held there it would
      // take every invite for expired until the service clock caught up.
      std::lock_guard<std::mutex> lock(machine_mu_);
      machine_now_ = filter_->service_now();
    }
    if (log_enabled(LogLevel::debug)) {
      log_line(LogLevel::debug, client_id_ + ": clock sample, round trip " + std::to_string(t3 - t0) + " ms" +
                                    (used ? "" : " (not used)"));
    }
  }

  // The service refused a request: to the call it concerns, or to the app as an error.
  void on_service_error(const Envelope& error) {
    const std::string code(error.body.get_string("code").ok() ? error.body.get_string("code").value() : "other");
    const std::string detail(error.body.get_string("message").ok() ? error.body.get_string("message").value() : "");
    auto reply_to = error.body.get_string("reply_to");
    std::optional<PendingRequest> request;
    {
      std::lock_guard<std::mutex> lock(machine_mu_);
      if (reply_to.ok()) request = requests_.take(std::string(reply_to.value()));
      if (request && !request->call_key.empty()) {
        carry_out(machine_.handle(RequestFailed{request->call_key, request->type, code}, machine_now()), nullptr);
        return;
      }
    }
    const std::string what = request ? to_string(request->type) : "request";
    report(ClientError{service_error_code(code), "", what,
                       "the service refused " + what + ": " + code + (detail.empty() ? "" : " (" + detail + ")")});
  }

  // A protocol `status` frame for the presence topic; "" only if the codec fails (never expected).
  std::string status_frame(bool online) {
    Envelope status;
    auto id = new_message_id();
    if (!id.ok()) return {};
    status.id = id.value();
    status.type = MessageType::status;
    status.from = client_id_;
    status.ts_ms = filter_->service_now();
    status.ttl_ms = kStatusTtlMs;
    status.body.set_string("state", online ? "online" : "offline");
    status.body.set_string("user", config_.user_id);
    auto frame = own_frame(status);
    return frame.ok() ? std::move(frame).value() : std::string();
  }

  void log_connection(const ConnectionEvent& event) {
    if (!log_enabled(LogLevel::info)) return;
    std::string line = std::string("connection ") + to_string(event.state);
    if (event.state == ConnectionState::connected) line += event.session_present ? " (session present)" : " (new session)";
    if (event.state == ConnectionState::disconnected) {
      line += ": " + event.detail + ", retry in " + std::to_string(event.retry_in.count()) + " ms";
    }
    log_info(client_id_, line);
  }

  void log_state(const NotifyState& state) {
    if (!log_enabled(LogLevel::info)) return;
    std::string line = "call " + state.call_id + ": " + to_string(state.state);
    if (state.reason) line += std::string(" (") + to_string(*state.reason) + ")";
    log_info(client_id_, line);
  }

  const ClientConfig config_;
  const std::string client_id_;
  const std::shared_ptr<EventLoop> loop_;

  std::unique_ptr<MessageFilter> filter_;
  std::unique_ptr<DeviceInbox> inbox_;
  std::unique_ptr<Session> session_;
  std::atomic<Session*> live_session_{nullptr};
  std::atomic<bool> started_{false};
  std::atomic<bool> background_{false};

  mutable std::mutex listener_mu_;
  std::condition_variable listener_cv_;
  std::shared_ptr<ClientListener> listener_;  // null once released
  bool closed_ = false;
  bool dispatching_ = false;  // a callback of ours runs now (on the event thread)

  std::mutex machine_mu_;  // the machine, its timers, the request tracker, the hello exchange
  CallMachine machine_;
  std::int64_t machine_now_ = 0;
  bool replaying_ = false;  // under machine_mu_: the message being handled is a replay
  std::map<TimerKey, ArmedTimer> timers_;
  std::uint64_t timer_generation_ = 0;
  RequestTracker requests_;
  std::string hello_id_;
  std::int64_t hello_local_t0_ = 0;
};

Result<std::unique_ptr<Client>> Client::create(ClientConfig config, std::shared_ptr<ClientListener> listener,
                                               std::shared_ptr<EventLoop> loop) {
  if (!listener) return Status::error(Errc::invalid_argument, "listener: must not be null");
  if (Status s = validate(config); !s.ok()) return s;
  if (!loop) loop = EventLoop::shared_default();
  auto core = std::make_shared<Core>(std::move(config), std::move(listener), std::move(loop));
  if (Status s = core->open(); !s.ok()) {
    core->close();
    return s;
  }
  return std::unique_ptr<Client>(new Client(std::move(core)));
}

Client::Client(std::shared_ptr<Core> core) : core_(std::move(core)) {}
Client::~Client() { close(); }

Status Client::connect() { return core_->connect(); }
void Client::close() { core_->close(); }

Result<std::string> Client::start_call(const std::vector<std::string>& callees, Media media,
                                       const std::string& custom_json) {
  return core_->start_call(callees, media, custom_json);
}
Status Client::accept(const std::string& call_id) { return core_->call_command(Accept{call_id}, call_id); }
Status Client::reject(const std::string& call_id, const std::string& reason) {
  if (!reason.empty() && !is_valid_identifier(reason)) {
    return Status::error(Errc::invalid_argument, "reason: 1..64 bytes of UTF-8 without control characters");
  }
  return core_->call_command(Reject{call_id, reason.empty() ? "declined" : reason}, call_id);
}
Status Client::cancel(const std::string& call_id) { return core_->call_command(Cancel{call_id}, call_id); }
Status Client::hangup(const std::string& call_id) { return core_->call_command(Hangup{call_id}, call_id, true); }
Status Client::invite(const std::string& call_id, const std::vector<std::string>& users) {
  if (Status s = core_->check_users("users", users); !s.ok()) return s;
  return core_->call_command(InviteMore{call_id, users}, call_id);
}
Status Client::request_mute(const std::string& call_id, const std::string& target, bool audio, bool video) {
  if (Status s = core_->check_target(target); !s.ok()) return s;
  return core_->call_command(MuteRequest{call_id, target, audio, video}, call_id);
}
Status Client::kick(const std::string& call_id, const std::string& target) {
  if (Status s = core_->check_target(target); !s.ok()) return s;
  return core_->call_command(Kick{call_id, target}, call_id);
}
Status Client::end_for_all(const std::string& call_id) { return core_->call_command(EndForAll{call_id}, call_id); }

Status Client::rtc_joined(const std::string& call_id) { return core_->call_command(RtcJoined{call_id}, call_id); }
Status Client::rtc_left(const std::string& call_id) { return core_->call_command(RtcLeft{call_id}, call_id, true); }
Status Client::rtc_failed(const std::string& call_id, const std::string& detail) {
  if (log_enabled(LogLevel::warn)) log_line(LogLevel::warn, core_->client_id() + ": RTC failed in call " + call_id + ": " + detail);
  return core_->call_command(RtcFailed{call_id}, call_id, true);
}
Status Client::rtc_token_expiring(const std::string& call_id) {
  return core_->call_command(TokenExpiring{call_id}, call_id);
}

Status Client::app_foreground() { return core_->app_foreground(); }
Status Client::app_background() { return core_->app_background(); }
Status Client::network_changed() { return core_->network_changed(); }
Status Client::push_received(std::string_view payload) { return core_->push_received(payload); }
Status Client::renew_token(const std::string& token) { return core_->renew_token(token); }

ConnectionState Client::connection_state() const { return core_->connection_state(); }
ClientStats Client::stats() const { return core_->stats(); }
const std::string& Client::client_id() const { return core_->client_id(); }

}  // namespace callsignal

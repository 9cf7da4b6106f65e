#include "core/session/session.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "core/session/backoff.h"
#include "core/session/broker_uri.h"
#include "core/session/credentials.h"
#include "core/session/outbox.h"
#include "core/session/paho_client.h"
#include "core/session/tcp_nodelay.h"
#include "core/session/tls_probe.h"

namespace callsignal {
namespace {

constexpr const char* kUploadTokenTopic = "$SYS/uploadToken";
constexpr const char* kTokenExpireNoticeTopic = "$SYS/tokenExpireNotice";
constexpr const char* kTokenInvalidNoticeTopic = "$SYS/tokenInvalidNotice";
// Slack on top of Paho's own connect timeout before we give up on a connect that never called back.
constexpr std::chrono::seconds kConnectDeadlineSlack{5};
// A failed publish while connected is retried after this pause, not in a hot loop.
constexpr std::chrono::milliseconds kPublishRetryPause{1'000};
// How long a DISCONNECT may go unconfirmed (Paho checks its own disconnect timeouts only every ~3 s).
constexpr std::chrono::milliseconds kDisconnectSlack{4'000};

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string presence_payload(const PresenceConfig& presence, bool online, const std::string& client_id) {
  if (presence.compose) return presence.compose(online);
  const std::string& configured = online ? presence.online_payload : presence.offline_payload;
  if (!configured.empty()) return configured;
  const char* state = online ? "online" : "offline";
  // The client id is validated to [A-Za-z0-9_.:@-]: no JSON escaping needed.
  return std::string("{\"type\":\"status\",\"state\":\"") + state + "\",\"client_id\":\"" + client_id + "\"}";
}

bool file_readable(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return false;
  std::fclose(file);
  return true;
}

Status check_tls_files(const TlsConfig& tls) {
  const std::pair<const char*, const std::string*> files[] = {
      {"tls.ca_file", &tls.ca_file},
      {"tls.client_cert_file", &tls.client_cert_file},
      {"tls.client_key_file", &tls.client_key_file},
  };
  for (const auto& [field, path] : files) {
    if (!path->empty() && !file_readable(*path)) {
      return Status::error(Errc::tls_error, std::string(field) + ": cannot read " + *path);
    }
  }
  return Status::success();
}

}  // namespace

const char* to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::idle: return "idle";
    case ConnectionState::connecting: return "connecting";
    case ConnectionState::connected: return "connected";
    case ConnectionState::disconnected: return "disconnected";
    case ConnectionState::closed: return "closed";
  }
  return "unknown";
}

// The session's state machine. Members marked "loop" are touched only on the event thread;
// `mu_` guards the few fields read from other threads. Paho is called only from the event thread
// and never while `mu_` is held; listener callbacks are made only from the event thread, never
// under `mu_`.
class Session::Core final : public std::enable_shared_from_this<Session::Core>, public PahoEvents {
 public:
  Core(SessionConfig config, std::string client_id, Topics topics, std::vector<BrokerAddress> brokers,
       Credentials credentials, std::unique_ptr<Outbox> outbox, SessionListener& listener,
       std::shared_ptr<EventLoop> loop, InboundGate* gate)
      : config_(std::move(config)),
        client_id_(std::move(client_id)),
        topics_(std::move(topics)),
        brokers_(std::move(brokers)),
        outbox_(std::move(outbox)),
        listener_(listener),
        loop_(std::move(loop)),
        gate_(gate),
        uses_tls_(config_.tls.enabled ||
                  std::any_of(brokers_.begin(), brokers_.end(), [](const BrokerAddress& b) { return b.tls; })),
        credentials_(std::move(credentials)),
        backoff_(config_.backoff, std::random_device{}()) {}

  // Creates the Paho handle for the next connection attempt. Each attempt gets a fresh one, so
  // Paho never retransmits in-flight messages itself: whatever was in flight goes back to the
  // outbox queue first and is sent again on the new connection (receivers deduplicate by id).
  Status renew_paho() {
    requeue_inflight();
    paho_.reset();  // MQTTAsync_destroy; results for the old handle's tokens are ignored
    auto paho = PahoClient::create(config_.broker_uris.front(), client_id_, config_.mqtt_version, *this,
                                   ++paho_generation_);
    if (!paho.ok()) return paho.status();
    paho_ = std::move(paho).value();
    paho_fresh_ = true;
    return Status::success();
  }

  // --- Public operations (any thread) ------------------------------------------------------

  Status start() {
    if (closing_) return Status::error(Errc::closed, "session is closed");
    if (started_.exchange(true)) return Status::success();
    run([this] { begin_attempt(); });
    return Status::success();
  }

  Result<std::uint64_t> publish(const std::string& topic, const std::string& payload, PublishOptions options) {
    if (closing_) return Status::error(Errc::closed, "session is closed");
    if (Status s = validate_publish_topic("topic", topic, config_.max_topic_length); !s.ok()) {
      return Status::error(Errc::invalid_argument, s.message);
    }
    if (payload.size() > config_.max_payload_bytes) {
      return Status::error(Errc::invalid_argument, "payload: " + std::to_string(payload.size()) +
                                                       " bytes exceeds max_payload_bytes " +
                                                       std::to_string(config_.max_payload_bytes));
    }
    const std::uint32_t expiry = options.message_expiry_s ? options.message_expiry_s : config_.default_message_expiry_s;
    auto seq = outbox_->append(topic, payload, expiry, options.retain, unix_ms_now());
    if (!seq.ok()) {
      if (seq.status().code == Errc::outbox_full) {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.outbox_full;
      }
      return seq.status();
    }
    schedule_pump();
    return seq;
  }

  void network_changed() {
    run([this] {
      backoff_.reset();
      if (state_loop_ == ConnectionState::connected || state_loop_ == ConnectionState::connecting) {
        drop_and_reconnect("network changed");
      } else if (state_loop_ == ConnectionState::disconnected) {
        retry_now();
      }
    });
  }

  void app_foregrounded() {
    run([this] {
      if (state_loop_ == ConnectionState::disconnected) {
        backoff_.reset();
        retry_now();
      }
    });
  }

  Status refresh_token(const std::string& token) {
    if (config_.auth.mode != AuthMode::alibaba_token) {
      return Status::error(Errc::invalid_state, "refresh_token: auth mode is not alibaba_token");
    }
    if (token.empty()) return Status::error(Errc::invalid_argument, "token: must not be empty");
    if (closing_) return Status::error(Errc::closed, "session is closed");
    AuthConfig auth = config_.auth;
    auth.token = token;
    auto credentials = make_credentials(auth, client_id_);
    if (!credentials.ok()) return credentials.status();
    {
      std::lock_guard<std::mutex> lock(mu_);
      credentials_ = std::move(credentials).value();
    }
    run([this, token] {
      if (state_loop_ == ConnectionState::connected) {
        send_direct(kUploadTokenTopic, alibaba_upload_token_payload(token));
      }
    });
    return Status::success();
  }

  void close() {
    if (!closing_.exchange(true)) {
      auto self = shared_from_this();
      loop_->post([self] { self->begin_teardown(); });
    }
    if (loop_->in_loop_thread()) return;  // deferred: runs after the current callback returns
    std::unique_lock<std::mutex> lock(mu_);
    torn_down_cv_.wait(lock, [this] { return torn_down_; });
  }

  ConnectionState state() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_;
  }

  SessionStats stats() const {
    SessionStats copy;
    {
      std::lock_guard<std::mutex> lock(mu_);
      copy = stats_;
    }
    copy.outbox_pending = outbox_->size();
    return copy;
  }

  const std::string& client_id() const { return client_id_; }
  const Topics& topics() const { return topics_; }

  // --- PahoEvents (Paho threads: copy and hand over only) ----------------------------------

  void on_connect_result(std::uint64_t tag, const Status& status, bool session_present) override {
    run([this, tag, status, session_present] { handle_connect_result(tag, status, session_present); });
  }
  void on_subscribe_result(std::uint64_t tag, const Status& status) override {
    run([this, tag, status] { handle_subscribe_result(tag, status); });
  }
  void on_disconnect_result(std::uint64_t tag) override {
    run([this, tag] { handle_disconnect_result(tag); });
  }
  void on_publish_result(std::uint64_t generation, int token, const Status& status) override {
    run([this, generation, token, status] {
      if (generation == paho_generation_) handle_publish_result(token, status);
    });
  }
  void on_connection_lost(std::uint64_t generation, const std::string& cause) override {
    run([this, generation, cause] {
      if (generation == paho_generation_) handle_connection_lost(cause);
    });
  }
  bool on_message(PahoMessage&& message) override {
    InboundMessage inbound{std::move(message.topic), std::move(message.payload), message.retained, message.dup, {}};
    // The gate's ack is in the outbox once admit() returns, but its send is held until the message
    // has been handed to the listener: otherwise the event thread would send it (and wake Paho's
    // send thread) before it rings. Holding is claiming the pending pump; if one is queued already,
    // that one sends the ack.
    const bool held = !pump_scheduled_.exchange(true);
    // Paho has sent the PUBACK already: from here on this process holds the only copy.
    const Admission admission = gate_ ? gate_->admit(inbound) : Admission::deliver;
    if (admission != Admission::deliver || closing_) {
      if (held) release_pump();
      std::lock_guard<std::mutex> lock(mu_);
      if (admission == Admission::retry_later) {
        ++stats_.refused_by_gate;
        return false;  // Paho keeps it and offers it again
      }
      ++(admission == Admission::drop ? stats_.dropped_by_gate : stats_.dropped_at_close);
      // closing: no callback may start now; the gate's record is the copy that survives
      return true;
    }
    run([this, held, inbound = std::move(inbound)] {
      deliver(inbound);
      if (held) release_pump();  // queued behind the listener callbacks deliver() queued
    });
    return true;
  }

 private:
  // Runs `task` on the event thread with this Core kept alive; skipped once torn down.
  template <typename Task>
  void run(Task task) {
    auto self = shared_from_this();
    loop_->post([self, task = std::move(task)]() mutable {
      if (!self->torn_down_loop_) task();
    });
  }

  // Calls the listener unless close() has begun. Exceptions from app code stop here.
  template <typename Call>
  void notify(Call call) {
    if (closing_) return;
    try {
      call(listener_);
    } catch (...) {
    }
  }

  void set_state(ConnectionState state) {
    state_loop_ = state;
    std::lock_guard<std::mutex> lock(mu_);
    state_ = state;
  }

  // --- Connecting ---------------------------------------------------------------------------

  void begin_attempt() {
    if (closing_ || state_loop_ == ConnectionState::connecting || state_loop_ == ConnectionState::connected) return;
    retry_timer_ = 0;
    const std::uint64_t tag = ++attempt_tag_;
    set_state(ConnectionState::connecting);
    ConnectionEvent event;
    event.state = ConnectionState::connecting;
    event.broker_uri = config_.broker_uris.front();
    event.attempt = backoff_.failures();
    notify([&](SessionListener& l) { l.on_connection(event); });
    if (!config_.tls.spki_sha256_pins.empty()) {
      probe_pin_then_connect(tag);
    } else {
      connect(tag);
    }
  }

  // Runs `probe` (which blocks on the network) on the loop's blocking-work thread, then
  // `then(status)` back on the event thread if the attempt is still current.
  template <typename Probe, typename Then>
  void probe_then(std::uint64_t tag, Probe probe, Then then) {
    auto self = shared_from_this();
    loop_->post_blocking([self, tag, probe = std::move(probe), then = std::move(then)]() mutable {
      Status verdict = probe(*self);
      self->run([self, tag, verdict, then = std::move(then)]() mutable {
        if (tag == self->attempt_tag_ && !self->closing_) then(*self, verdict);
      });
    });
  }

  std::chrono::milliseconds probe_timeout() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(config_.connect_timeout);
  }

  // The pin is checked on the first TLS broker that completes a handshake.
  void probe_pin_then_connect(std::uint64_t tag) {
    probe_then(
        tag,
        [](Core& core) {
          Status verdict = Status::error(Errc::invalid_config, "tls.spki_sha256_pins: no TLS broker URI");
          for (const BrokerAddress& broker : core.brokers_) {
            if (!broker.tls && !core.config_.tls.enabled) continue;
            verdict = verify_spki_pin(broker, core.config_.tls.spki_sha256_pins, core.probe_timeout());
            if (verdict.ok()) break;
          }
          return verdict;
        },
        [tag](Core& core, const Status& verdict) {
          if (verdict.ok()) {
            core.connect(tag);
          } else {
            core.attempt_failed(verdict);
          }
        });
  }

  // Paho says only "TCP/TLS connect failure": a verifying handshake of our own names the cause.
  void diagnose_then_fail(std::uint64_t tag, const Status& original) {
    probe_then(
        tag,
        [](Core& core) { return diagnose_tls(core.brokers_.front(), core.config_.tls, core.probe_timeout()); },
        [original](Core& core, const Status& diagnosis) {
          core.attempt_failed(diagnosis.code == Errc::tls_error ? diagnosis : original);
        });
  }

  void connect(std::uint64_t tag) {
    if (!paho_fresh_) {
      if (Status s = renew_paho(); !s.ok()) {
        attempt_failed(s);
        return;
      }
    }
    paho_fresh_ = false;
    ConnectParams params;
    params.uris = config_.broker_uris;
    params.keepalive = config_.keepalive;
    params.connect_timeout = config_.connect_timeout;
    {
      std::lock_guard<std::mutex> lock(mu_);
      params.username = credentials_.username;
      params.password = credentials_.password;
    }
    if (config_.presence.enabled && config_.profile == BrokerProfile::generic) {
      params.will_topic = topics_.status;
      params.will_payload = presence_payload(config_.presence, false, client_id_);
    }
    params.session_expiry_s = config_.session_expiry_s;
    // Room for presence and token messages beyond the outbox window.
    params.max_inflight = static_cast<int>(config_.max_inflight) + 8;
    params.tls = uses_tls_ ? &config_.tls : nullptr;

    if (Status s = paho_->connect(params, tag); !s.ok()) {
      attempt_failed(s);
      return;
    }
    auto self = shared_from_this();
    deadline_timer_ = loop_->post_after(config_.connect_timeout + kConnectDeadlineSlack, [self, tag] {
      self->deadline_timer_ = 0;
      if (self->torn_down_loop_ || tag != self->attempt_tag_ || self->state_loop_ != ConnectionState::connecting) return;
      ++self->attempt_tag_;  // a late result of this attempt is ignored
      self->attempt_failed(Status::error(Errc::timeout, "connect: no answer within the deadline"));
    });
  }

  void handle_connect_result(std::uint64_t tag, const Status& status, bool session_present) {
    if (tag != attempt_tag_ || closing_) return;
    if (!status.ok()) {
      cancel_timer(deadline_timer_);
      if (status.code == Errc::broker_error && uses_tls_) {
        diagnose_then_fail(tag, status);
      } else {
        attempt_failed(status);
      }
      return;
    }
    session_present_ = session_present;
    for (const BrokerAddress& broker : brokers_) request_tcp_nodelay(*loop_, broker.port);
    awaiting_suback_ = true;  // the broker may send queued messages before the SUBACK
    std::vector<std::string> filters;
    if (config_.profile == BrokerProfile::generic) filters.push_back(topics_.p2p);
    filters.insert(filters.end(), config_.extra_subscriptions.begin(), config_.extra_subscriptions.end());
    if (filters.empty()) {
      became_connected();
      return;
    }
    if (Status s = paho_->subscribe(filters, tag); !s.ok()) {
      cancel_timer(deadline_timer_);
      attempt_failed(s);
    }
  }

  void handle_subscribe_result(std::uint64_t tag, const Status& status) {
    if (tag != attempt_tag_ || closing_) return;
    if (!status.ok()) {
      // Without our subscriptions invites would never arrive: drop the connection and retry.
      cancel_timer(deadline_timer_);
      const std::uint64_t drop_tag = ++attempt_tag_;
      (void)paho_->disconnect(std::chrono::milliseconds(0), drop_tag);
      attempt_failed(status);
      return;
    }
    became_connected();
  }

  void became_connected() {
    cancel_timer(deadline_timer_);
    backoff_.reset();
    set_state(ConnectionState::connected);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.connects;
    }
    if (config_.presence.enabled) {
      send_direct(topics_.status, presence_payload(config_.presence, true, client_id_));
    }
    ConnectionEvent event;
    event.state = ConnectionState::connected;
    event.session_present = session_present_;
    event.broker_uri = config_.broker_uris.front();
    notify([&](SessionListener& l) { l.on_connection(event); });
    release_held_messages();
    pump();
  }

  void attempt_failed(const Status& status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.connect_failures;
    }
    went_down(status);
  }

  void went_down(const Status& status) {
    if (closing_) return;
    set_state(ConnectionState::disconnected);
    const auto delay = backoff_.next_delay();
    auto self = shared_from_this();
    cancel_timer(retry_timer_);
    retry_timer_ = loop_->post_after(delay, [self] {
      self->retry_timer_ = 0;
      if (!self->torn_down_loop_) self->begin_attempt();
    });
    ConnectionEvent event;
    event.state = ConnectionState::disconnected;
    event.reason = status.code;
    event.detail = status.message;
    event.attempt = backoff_.failures();
    event.retry_in = delay;
    notify([&](SessionListener& l) { l.on_connection(event); });
    release_held_messages();
  }

  void retry_now() {
    cancel_timer(retry_timer_);
    begin_attempt();
  }

  void handle_connection_lost(const std::string& cause) {
    if (closing_) {
      // The graceful disconnect (or the wait for PUBACKs before it) will not complete now.
      if (teardown_tag_ != 0 || draining_for_close_) finish_teardown();
      return;
    }
    if (state_loop_ == ConnectionState::connecting) {
      // Lost between CONNACK and SUBACK: the subscribe will never answer, fail the attempt now.
      cancel_timer(deadline_timer_);
      ++attempt_tag_;
      attempt_failed(Status::error(Errc::broker_error, "connection lost while subscribing: " + cause));
      return;
    }
    if (state_loop_ != ConnectionState::connected) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.connection_losses;
    }
    went_down(Status::error(Errc::broker_error, "connection lost: " + cause));
  }

  // Drops a connection that may be dead (network change) and starts over at once.
  void drop_and_reconnect(const std::string& why) {
    cancel_timer(deadline_timer_);
    const std::uint64_t tag = ++attempt_tag_;
    reconnect_after_drop_tag_ = tag;
    set_state(ConnectionState::disconnected);
    ConnectionEvent event;
    event.state = ConnectionState::disconnected;
    event.reason = Errc::not_connected;
    event.detail = why;
    notify([&](SessionListener& l) { l.on_connection(event); });
    release_held_messages();
    if (!paho_->disconnect(std::chrono::milliseconds(0), tag).ok()) {
      reconnect_after_drop_tag_ = 0;
      begin_attempt();
      return;
    }
    // A half-open connection may never confirm the disconnect: do not wait for it forever.
    auto self = shared_from_this();
    cancel_timer(retry_timer_);
    retry_timer_ = loop_->post_after(kDisconnectSlack, [self, tag] {
      self->retry_timer_ = 0;
      if (self->torn_down_loop_ || self->reconnect_after_drop_tag_ != tag) return;
      self->reconnect_after_drop_tag_ = 0;
      self->begin_attempt();
    });
  }

  void handle_disconnect_result(std::uint64_t tag) {
    if (closing_) {
      if (tag == teardown_tag_) finish_teardown();
      return;
    }
    if (tag != 0 && tag == reconnect_after_drop_tag_) {
      reconnect_after_drop_tag_ = 0;
      retry_now();
    }
  }

  // --- Outbound -----------------------------------------------------------------------------

  // Ends a hold taken in on_message(), scheduling the pump that was held back.
  void release_pump() {
    pump_scheduled_ = false;
    schedule_pump();
  }

  void schedule_pump() {
    if (pump_scheduled_.exchange(true)) return;
    run([this] {
      pump_scheduled_ = false;
      pump();
    });
  }

  // Hands outbox entries to Paho while connected and the in-flight window has room:
  // entries to resend first, then new ones in seq order.
  void pump() {
    if (closing_ || state_loop_ != ConnectionState::connected) return;
    while (inflight_.size() < config_.max_inflight) {
      std::vector<OutboxEntry> batch;
      if (!resend_.empty()) {
        const std::uint64_t seq = *resend_.begin();
        resend_.erase(resend_.begin());
        if (auto entry = outbox_->find(seq)) batch.push_back(std::move(*entry));
        if (batch.empty()) continue;
      } else {
        batch = outbox_->pending(cursor_, config_.max_inflight - inflight_.size());
        if (batch.empty()) return;
        cursor_ = batch.back().seq;
      }
      for (const OutboxEntry& entry : batch) {
        if (!send_entry(entry)) return;
      }
    }
  }

  // Returns false when Paho refused (not connected): the entry waits for the next connect.
  bool send_entry(const OutboxEntry& entry) {
    if (inflight_.count(entry.seq)) return true;
    std::uint32_t remaining_expiry = 0;
    if (entry.expiry_s > 0) {
      const std::int64_t age_ms = unix_ms_now() - entry.created_unix_ms;
      const std::int64_t left_ms = static_cast<std::int64_t>(entry.expiry_s) * 1000 - age_ms;
      if (left_ms <= 0) {
        drop_expired(entry.seq);
        return true;
      }
      remaining_expiry = static_cast<std::uint32_t>((left_ms + 999) / 1000);
    }
    auto token = paho_->publish(entry.topic, entry.payload, entry.retain, remaining_expiry);
    if (!token.ok()) {
      resend_.insert(entry.seq);
      return false;
    }
    inflight_[entry.seq] = token.value();
    token_to_seq_[token.value()] = entry.seq;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.inflight = inflight_.size();
    }
    return true;
  }

  void drop_expired(std::uint64_t seq) {
    (void)outbox_->acknowledge(seq);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.expired;
    }
    notify([&](SessionListener& l) { l.on_expired(seq); });
  }

  void handle_publish_result(int token, const Status& status) {
    auto found = token_to_seq_.find(token);
    if (found == token_to_seq_.end()) return;  // presence, token upload, or a superseded token
    const std::uint64_t seq = found->second;
    token_to_seq_.erase(found);
    inflight_.erase(seq);
    if (draining_for_close_ && inflight_.empty()) {
      auto self = shared_from_this();
      loop_->post([self] { self->disconnect_now(); });  // after this result is recorded
    }
    if (status.ok()) {
      if (Status s = outbox_->acknowledge(seq); !s.ok()) {
        notify([&](SessionListener& l) { l.on_error(s); });
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.published;
        stats_.inflight = inflight_.size();
      }
      notify([&](SessionListener& l) { l.on_published(seq); });
      pump();
      return;
    }
    // Failed (session dropped by the broker, or refused): send it again later, never drop it.
    resend_.insert(seq);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.resent;
      stats_.inflight = inflight_.size();
    }
    if (state_loop_ == ConnectionState::connected) {
      auto self = shared_from_this();
      loop_->post_after(kPublishRetryPause, [self] {
        if (!self->torn_down_loop_) self->pump();
      });
    }
  }

  void requeue_inflight() {
    for (const auto& [seq, token] : inflight_) {
      resend_.insert(seq);
      token_to_seq_.erase(token);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.resent += inflight_.size();
      stats_.inflight = 0;
    }
    inflight_.clear();
  }

  // Presence and token uploads: only meaningful on the live connection, so not kept in the outbox.
  void send_direct(const std::string& topic, const std::string& payload) {
    (void)paho_->publish(topic, payload, false, 0);
  }

  // --- Inbound ------------------------------------------------------------------------------

  // Messages that arrive between CONNACK and SUBACK wait for the connection event, so the app
  // always learns of the connection (and whether the session was kept) before its backlog.
  void release_held_messages() {
    awaiting_suback_ = false;
    std::vector<InboundMessage> held;
    held.swap(held_);
    for (const InboundMessage& message : held) deliver(message);
  }

  void deliver(const InboundMessage& message) {
    if (awaiting_suback_) {
      held_.push_back(message);
      return;
    }
    if (message.topic.rfind(kTokenExpireNoticeTopic, 0) == 0) {
      notify([&](SessionListener& l) { l.on_token_notice(TokenNotice::expiring, message.payload); });
      return;
    }
    if (message.topic.rfind(kTokenInvalidNoticeTopic, 0) == 0) {
      notify([&](SessionListener& l) { l.on_token_notice(TokenNotice::invalid, message.payload); });
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.received;
    }
    notify([&](SessionListener& l) { l.on_message(message); });
  }

  // --- Teardown -----------------------------------------------------------------------------

  void begin_teardown() {
    cancel_timer(retry_timer_);
    cancel_timer(deadline_timer_);
    ++attempt_tag_;
    if (!paho_ || state_loop_ != ConnectionState::connected) {
      finish_teardown();
      return;
    }
    if (config_.presence.enabled) {
      send_direct(topics_.status, presence_payload(config_.presence, false, client_id_));
    }
    // Our own publishes in flight get up to close_timeout for their PUBACKs (each one acked then
    // leaves the outbox, so the next start does not send it again). We wait for them here rather
    // than through Paho's disconnect timeout, which Paho only checks every few seconds: a close
    // would then take seconds even when everything was acked within milliseconds.
    if (inflight_.empty()) {
      disconnect_now();
      return;
    }
    draining_for_close_ = true;
    auto self = shared_from_this();
    teardown_timer_ = loop_->post_after(config_.close_timeout, [self] {
      self->teardown_timer_ = 0;
      self->disconnect_now();
    });
  }

  // The DISCONNECT itself, with nothing of ours left to wait for (what is still in flight stays
  // in the outbox for the next start). Paho writes it after the publishes queued before it.
  void disconnect_now() {
    if (torn_down_loop_ || teardown_tag_ != 0) return;
    draining_for_close_ = false;
    cancel_timer(teardown_timer_);
    teardown_tag_ = ++attempt_tag_;
    if (!paho_->disconnect(std::chrono::milliseconds(0), teardown_tag_).ok()) {
      finish_teardown();
      return;
    }
    auto self = shared_from_this();
    teardown_timer_ = loop_->post_after(kDisconnectSlack, [self] {
      self->teardown_timer_ = 0;
      self->finish_teardown();
    });
  }

  void finish_teardown() {
    if (torn_down_loop_) return;
    torn_down_loop_ = true;
    cancel_timer(teardown_timer_);
    paho_.reset();  // MQTTAsync_destroy: no Paho callback for this session after this line
    set_state(ConnectionState::closed);
    std::lock_guard<std::mutex> lock(mu_);
    torn_down_ = true;
    torn_down_cv_.notify_all();
  }

  void cancel_timer(EventLoop::TimerId& id) {
    if (id != 0) loop_->cancel(id);
    id = 0;
  }

  // Immutable after construction.
  const SessionConfig config_;
  const std::string client_id_;
  const Topics topics_;
  const std::vector<BrokerAddress> brokers_;
  const std::unique_ptr<Outbox> outbox_;
  SessionListener& listener_;
  const std::shared_ptr<EventLoop> loop_;
  InboundGate* const gate_;
  const bool uses_tls_;

  // Cross-thread.
  std::atomic<bool> closing_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> pump_scheduled_{false};
  mutable std::mutex mu_;
  std::condition_variable torn_down_cv_;
  bool torn_down_ = false;                             // mu_
  ConnectionState state_ = ConnectionState::idle;      // mu_
  SessionStats stats_;                                 // mu_
  Credentials credentials_;                            // mu_

  // Event thread only.
  std::unique_ptr<PahoClient> paho_;
  std::uint64_t paho_generation_ = 0;
  bool paho_fresh_ = false;  // paho_ has not been asked to connect yet
  Backoff backoff_;
  ConnectionState state_loop_ = ConnectionState::idle;
  bool torn_down_loop_ = false;
  bool session_present_ = false;
  bool awaiting_suback_ = false;
  std::vector<InboundMessage> held_;
  std::uint64_t attempt_tag_ = 0;
  std::uint64_t reconnect_after_drop_tag_ = 0;
  std::uint64_t teardown_tag_ = 0;
  bool draining_for_close_ = false;  // closing: waiting for our in-flight PUBACKs
  EventLoop::TimerId retry_timer_ = 0;
  EventLoop::TimerId deadline_timer_ = 0;
  EventLoop::TimerId teardown_timer_ = 0;
  std::map<std::uint64_t, int> inflight_;       // outbox seq -> Paho token
  std::map<int, std::uint64_t> token_to_seq_;   // Paho token -> outbox seq
  std::set<std::uint64_t> resend_;              // seqs to hand to Paho again, oldest first
  std::uint64_t cursor_ = 0;                    // highest seq handed to Paho in order
};

// --- Session ---------------------------------------------------------------------------------

Result<std::unique_ptr<Session>> Session::create(SessionConfig config, SessionListener& listener,
                                                 std::shared_ptr<EventLoop> loop, InboundGate* gate) {
  if (Status s = validate(config); !s.ok()) return s;
  auto client_id = make_client_id(config.group_id, config.device_id, config.max_client_id_length);
  if (!client_id.ok()) return client_id.status();
  std::vector<BrokerAddress> brokers;
  for (const std::string& uri : config.broker_uris) {
    auto address = parse_broker_uri("broker_uris", uri);
    if (!address.ok()) return address.status();
    brokers.push_back(address.value());
  }
  if (Status s = check_tls_files(config.tls); !s.ok()) return s;
  auto credentials = make_credentials(config.auth, client_id.value());
  if (!credentials.ok()) return credentials.status();
  auto outbox = Outbox::open(config.data_dir, OutboxLimits{config.max_outbox_messages, config.max_outbox_bytes},
                             config.fsync);
  if (!outbox.ok()) return outbox.status();
  Topics topics = make_topics(config.uplink_parent, config.downlink_parent, client_id.value());
  if (!loop) loop = EventLoop::shared_default();

  auto core = std::make_shared<Core>(std::move(config), std::move(client_id).value(), std::move(topics),
                                     std::move(brokers), std::move(credentials).value(), std::move(outbox).value(),
                                     listener, std::move(loop), gate);
  // Created here rather than at the first connect, so that a client id or URI Paho refuses is
  // reported by create().
  if (Status s = core->renew_paho(); !s.ok()) return s;
  return std::unique_ptr<Session>(new Session(std::move(core)));
}

Session::Session(std::shared_ptr<Core> core) : core_(std::move(core)) {}

Session::~Session() { close(); }

Status Session::start() { return core_->start(); }

Result<std::uint64_t> Session::publish(const std::string& topic, const std::string& payload, PublishOptions options) {
  return core_->publish(topic, payload, options);
}

void Session::network_changed() { core_->network_changed(); }
void Session::app_foregrounded() { core_->app_foregrounded(); }
Status Session::refresh_token(const std::string& token) { return core_->refresh_token(token); }
void Session::close() { core_->close(); }
ConnectionState Session::state() const { return core_->state(); }
SessionStats Session::stats() const { return core_->stats(); }
const std::string& Session::client_id() const { return core_->client_id(); }
const Topics& Session::topics() const { return core_->topics(); }

}  // namespace callsignal

// call_setup: 1:1 call setup through the whole stack, under an open-loop load.
//   callsignal_bench_call_setup [--quick] [--clients N] [--seconds S]
//
// Setup: a Mosquitto on 127.0.0.1, the reference control service (callsignal-control, its own
// process, config file, fresh Ed25519 key, log level info) and N SDK clients in this process
// (public C ABI; own data_dir each; the service's key trusted), paired: client 2k calls client
// 2k+1. N = 1,000 (quick: 200). Timing starts once every device's hello reached the service.
//
// Load: 50 calls per second for 60 s (quick: 10 s), open loop: call k starts at start + k * 20 ms
// (sleep_until), whether or not earlier calls are done. Each call goes to the next pair that is
// idle (both clients ended their previous call), so no client is ever in two calls.
//
// One call: t0 just before cs_client_start_call() on the caller; the callee's app accepts in its
// on_incoming_call callback; the call is set up when both clients got on_join_rtc (each app then
// reports cs_client_rtc_joined()). Latency = the later of the two on_join_rtc - t0. The caller then
// hangs up (untimed, from a worker thread, not the event thread); on_leave_rtc is answered with
// cs_client_rtc_left(), and the pair is idle again when both clients' calls reached ENDED.
//
//   call_setup.clients       N
//   call_setup.calls         calls started
//   call_setup.success_rate  calls set up (both join parameters within 10 s) / calls started
//   call_setup.p50_ms        latency percentiles of the calls set up
//   call_setup.p99_ms
//
// Path timed: caller SDK (outbox write, Paho send) -> broker -> service (decode, create, mint,
// sign 2 invites) -> broker -> caller (verify, join params) and callee (verify, ring; accept:
// outbox write, Paho send) -> broker -> service (sign) -> ... -> callee join params. On this
// machine the 2 cores are shared by the broker, the service, the 1,000 clients' Paho threads and
// the SDK's event thread, and by whatever else runs: figures are noisy on a busy machine.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fleet.h"
#include "common/service.h"
#include "common/stats.h"
#include "support/broker.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::bench;

namespace {

constexpr std::chrono::milliseconds kSetupDeadline(10'000);

struct Call {
  Clock::time_point t0;
  std::optional<Clock::time_point> caller_join, callee_join, callee_incoming;
  std::string caller_call_id;
  bool failed = false;
  bool timed = false;
  std::string why;
};

struct Pair {
  bool busy = false;
  int call = -1;  // index into calls_
  bool caller_ended = true, callee_ended = true;
};

class CallSetupLoad : public FleetHandler {
 public:
  explicit CallSetupLoad(std::size_t clients) : pairs_(clients / 2) { hangup_thread_ = std::thread([this] { hangups(); }); }
  ~CallSetupLoad() override { stop_hangups(); }

  void attach(Fleet* fleet) { fleet_ = fleet; }

  // Starts a call on the next idle pair. False (and counted as failed) if none is idle.
  void start_call() {
    std::size_t pair_index = 0;
    int call_index = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      call_index = static_cast<int>(calls_.size());
      calls_.emplace_back();
      std::optional<std::size_t> chosen;
      for (std::size_t n = 0; n < pairs_.size(); ++n) {
        const std::size_t p = (next_pair_ + n) % pairs_.size();
        if (!pairs_[p].busy) {
          chosen = p;
          break;
        }
      }
      if (!chosen) {
        calls_.back().failed = true;
        calls_.back().why = "no idle pair";
        return;
      }
      pair_index = *chosen;
      next_pair_ = (pair_index + 1) % pairs_.size();
      Pair& pair = pairs_[pair_index];
      pair = Pair{true, call_index, false, false};
      calls_.back().t0 = Clock::now();
    }
    const std::string callee = fleet_->user(2 * pair_index + 1);
    const char* callees[] = {callee.c_str()};
    cs_call_options_t options = CS_CALL_OPTIONS_INIT;
    options.callees = callees;
    options.callee_count = 1;
    cs_error_t err{};
    if (cs_client_start_call(fleet_->client(2 * pair_index), &options, nullptr, &err) != CS_OK) {
      fail(call_index, std::string("start_call: ") + err.message);
      std::lock_guard<std::mutex> lock(mutex_);
      pairs_[pair_index].busy = false;
    }
  }

  // Waits until every call started is set up or failed, and every pair is idle again.
  bool wait_settled(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const Pair& p : pairs_) {
        if (p.busy) return false;
      }
      return true;
    });
  }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  std::size_t errors() const { return errors_.load(); }

  // --- the apps (event thread) ---
  void on_incoming_call(std::size_t i, const cs_incoming_call_t& e) override {
    {
      const Clock::time_point now = Clock::now();
      std::lock_guard<std::mutex> lock(mutex_);
      const int call = pairs_[i / 2].call;
      if (call >= 0) calls_[static_cast<std::size_t>(call)].callee_incoming = now;
    }
    cs_error_t err{};
    if (cs_client_accept(fleet_->client(i), e.call_id, &err) != CS_OK) {
      const int call = current_call(i);
      if (call >= 0) fail(call, std::string("accept: ") + err.message);
    }
  }

  void on_join_rtc(std::size_t i, const cs_rtc_params_t& p) override {
    const Clock::time_point now = Clock::now();
    std::optional<std::pair<std::size_t, std::string>> hangup;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Pair& pair = pairs_[i / 2];
      if (pair.call >= 0) {
        Call& call = calls_[static_cast<std::size_t>(pair.call)];
        if (i % 2 == 0) {
          call.caller_join = now;
          call.caller_call_id = p.call_id;
        } else {
          call.callee_join = now;
        }
        if (call.caller_join && call.callee_join && !call.timed) {
          call.timed = true;
          hangup.emplace(i - i % 2, call.caller_call_id);
        }
      }
    }
    cs_client_rtc_joined(fleet_->client(i), p.call_id, nullptr);
    if (hangup) {
      std::lock_guard<std::mutex> lock(hangup_mutex_);
      hangup_queue_.push_back(*hangup);
      hangup_cv_.notify_one();
    }
  }

  void on_leave_rtc(std::size_t i, const char* call_id) override {
    cs_client_rtc_left(fleet_->client(i), call_id, nullptr);
  }

  void on_call_state(std::size_t i, const cs_call_state_event_t& e) override {
    if (e.state != CS_CALL_ENDED) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Pair& pair = pairs_[i / 2];
    if (!pair.busy) return;
    (i % 2 == 0 ? pair.caller_ended : pair.callee_ended) = true;
    Call& call = calls_[static_cast<std::size_t>(pair.call)];
    if (!call.timed && !call.failed) {
      call.failed = true;
      call.why = std::string("ended before set up: ") + cs_end_reason_name(e.end_reason);
    }
    if (pair.caller_ended && pair.callee_ended) {
      pair.busy = false;
      cv_.notify_all();
    }
  }

  void on_error(std::size_t, const cs_error_event_t&) override { ++errors_; }

 private:
  int current_call(std::size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    return pairs_[i / 2].call;
  }

  void fail(int call_index, const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    Call& call = calls_[static_cast<std::size_t>(call_index)];
    if (!call.failed && !call.timed) {
      call.failed = true;
      call.why = why;
    }
  }

  void hangups() {
    std::unique_lock<std::mutex> lock(hangup_mutex_);
    for (;;) {
      hangup_cv_.wait(lock, [&] { return stop_ || !hangup_queue_.empty(); });
      if (hangup_queue_.empty()) return;  // stop_ and nothing left
      auto [client, call_id] = hangup_queue_.front();
      hangup_queue_.pop_front();
      lock.unlock();
      cs_client_hangup(fleet_->client(client), call_id.c_str(), nullptr);
      lock.lock();
    }
  }

  void stop_hangups() {
    {
      std::lock_guard<std::mutex> lock(hangup_mutex_);
      stop_ = true;
      hangup_cv_.notify_all();
    }
    if (hangup_thread_.joinable()) hangup_thread_.join();
  }

  Fleet* fleet_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Pair> pairs_;
  std::vector<Call> calls_;
  std::size_t next_pair_ = 0;
  std::atomic<std::size_t> errors_{0};

  std::mutex hangup_mutex_;
  std::condition_variable hangup_cv_;
  std::deque<std::pair<std::size_t, std::string>> hangup_queue_;
  bool stop_ = false;
  std::thread hangup_thread_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const bool quick = has_flag(argc, argv, "--quick");
    // --clients N and --seconds S override the sizes (to see how the latency grows with N).
    const std::size_t clients = std::stoul(option_value(argc, argv, "--clients", quick ? "200" : "1000")) / 2 * 2;
    const int rate = 50;
    const int seconds = std::stoi(option_value(argc, argv, "--seconds", quick ? "10" : "60"));
    const unsigned long fds = raise_fd_limit();
    const Clock::time_point bench_start = Clock::now();

    test::BrokerOptions broker_options;
    broker_options.extra_config = "max_queued_messages 100000\n";
    auto broker = test::MosquittoBroker::start(broker_options);
    test::TempDir dir("callsignal-bench-call-setup-");

    ServiceOptions service_options;
    service_options.binary = CALLSIGNAL_CONTROL_BINARY;
    service_options.broker_uri = broker->uri();
    service_options.dir = dir.path();
    service_options.uplink = "bench-up";
    service_options.downlink = "bench-down";
    ServiceProcess service(service_options);

    CallSetupLoad load(clients);
    FleetOptions options;
    options.clients = clients;
    options.broker_uri = broker->uri();
    options.uplink = service_options.uplink;
    options.downlink = service_options.downlink;
    options.key_id = service.key_id();
    options.public_key = service.public_key();
    options.data_root = dir.file("clients");
    Fleet fleet(options, &load);
    load.attach(&fleet);
    const double connect_ms = fleet.connect_all(std::chrono::seconds(120));
    if (!service.wait_count("hello", clients, std::chrono::seconds(60))) {
      throw std::runtime_error("the service saw " + std::to_string(service.count("hello")) + " hellos of " +
                               std::to_string(clients) + "\n" + service.last_lines());
    }
    const double ready_ms = ms_between(bench_start, Clock::now());

    const int total = rate * seconds;
    const auto period = std::chrono::microseconds(1'000'000 / rate);
    const Clock::time_point start = Clock::now();
    for (int k = 0; k < total; ++k) {
      std::this_thread::sleep_until(start + k * period);
      load.start_call();
    }
    const double schedule_s = ms_between(start, Clock::now()) / 1000.0;
    const bool settled = load.wait_settled(kSetupDeadline + std::chrono::seconds(20));

    std::vector<double> latencies, to_caller_join, to_callee_ring, ring_to_join;
    std::size_t failed = 0, late = 0;
    std::string first_failure;
    for (const Call& c : load.calls()) {
      if (c.timed) {
        const double ms = ms_between(c.t0, std::max(*c.caller_join, *c.callee_join));
        if (ms > static_cast<double>(kSetupDeadline.count())) {
          ++late;
          continue;
        }
        latencies.push_back(ms);
        to_caller_join.push_back(ms_between(c.t0, *c.caller_join));
        if (c.callee_incoming) {
          to_callee_ring.push_back(ms_between(c.t0, *c.callee_incoming));
          ring_to_join.push_back(ms_between(*c.callee_incoming, *c.callee_join));
        }
      } else {
        ++failed;
        if (first_failure.empty()) first_failure = c.why.empty() ? "not set up in time" : c.why;
      }
    }
    const std::size_t calls = load.calls().size();
    const double success = calls ? static_cast<double>(latencies.size()) / static_cast<double>(calls) : 0;

    fleet.destroy_all();
    const bool service_clean = service.stop();
    broker->stop();

    std::printf("call_setup%s: %zu clients (%zu pairs), %d calls/s for %d s, open loop; fd limit %lu\n\n",
                quick ? " (quick: fewer clients, shorter)" : "", clients, clients / 2, rate, seconds, fds);
    std::printf("| %-58s | %18s |\n|%s|%s|\n", "figure", "value", std::string(60, '-').c_str(),
                std::string(20, '-').c_str());
    table_row("connect all clients at once (first connect to last), ms", fixed(connect_ms, 0));
    table_row("ready (broker, service, clients, all hellos), ms", fixed(ready_ms, 0));
    table_row("calls started", std::to_string(calls));
    table_row("schedule length, s", fixed(schedule_s, 2));
    table_row("calls set up (both on_join_rtc)", std::to_string(latencies.size()));
    table_row("calls failed / later than 10 s", std::to_string(failed) + " / " + std::to_string(late));
    if (!first_failure.empty()) table_row("first failure", first_failure.substr(0, 18));
    table_row("on_error events", std::to_string(load.errors()));
    table_row("setup latency p50, ms", fixed(percentile(latencies, 50), 3));
    table_row("setup latency p90, ms", fixed(percentile(latencies, 90), 3));
    table_row("setup latency p99, ms", fixed(percentile(latencies, 99), 3));
    table_row("setup latency max, ms", fixed(percentile(latencies, 100), 3));
    table_row("  where: t0 -> caller on_join_rtc p50 / p99, ms",
              fixed(percentile(to_caller_join, 50), 3) + " / " + fixed(percentile(to_caller_join, 99), 3));
    table_row("  where: t0 -> callee on_incoming_call p50 / p99, ms",
              fixed(percentile(to_callee_ring, 50), 3) + " / " + fixed(percentile(to_callee_ring, 99), 3));
    table_row("  where: callee ring -> its on_join_rtc p50 / p99, ms",
              fixed(percentile(ring_to_join, 50), 3) + " / " + fixed(percentile(ring_to_join, 99), 3));
    table_row("all pairs idle at the end / service clean stop",
              std::string(settled ? "yes" : "no") + " / " + (service_clean ? "yes" : "no"));
    std::printf("\n");
    if (!first_failure.empty()) std::printf("first failure: %s\n\n", first_failure.c_str());
    result("call_setup.clients", static_cast<double>(clients));
    result("call_setup.calls", static_cast<double>(calls));
    result("call_setup.success_rate", success);
    result("call_setup.p50_ms", percentile(latencies, 50));
    result("call_setup.p99_ms", percentile(latencies, 99));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "call_setup: %s\n", e.what());
    return 1;
  }
}

// recovery: a broker restart while invites are queued for 1,000 offline persistent sessions.
//   callsignal_bench_recovery [--quick]
//
// Setup: a Mosquitto on 127.0.0.1 with persistence (the db is saved on a clean stop and loaded on
// start), N SDK clients in this process (public C ABI, own data_dir each, persistent MQTT
// sessions: cleanSession=false, QoS 1), all connected and subscribed. N = 1,000 (quick: 200).
// No control service runs: a control peer (a raw MQTT 3.1.1 connection, signing with the key the
// clients trust) stands in for it.
//
// One round:
//   1. stop the broker cleanly (SIGTERM: it saves sessions and subscriptions), and wait until
//      every client has seen the connection drop (their reconnect backoff is then running);
//   2. start it again on the same port; t_up = when it answered an MQTT CONNECT again (about
//      20 ms after it started listening);
//   3. the control peer connects first and publishes right away one signed invite (QoS 1, its own
//      call id) to every client's P2P topic; each is queued for the still-offline session (a
//      client whose retry came first gets it live: it counts the same);
//   4. measured: t_up until every client is connected again and every invite has reached its app
//      (on_incoming_call or on_missed_call), the later of the two per client, max over clients.
//   Per invite id: lost = never arrived within the bounded wait (60 s; quick 30 s), duplicated =
//   arrived more than once (also any id that was never sent).
//
//   recovery.clients                N
//   recovery.seconds                round 1, the SDK's default reconnect backoff (500 ms initial,
//                                   x2 per failed attempt, +-20% jitter, 60 s max)
//   recovery.lost, .duplicated      round 1
//   recovery.seconds_tuned_backoff  round 2, a fresh fleet with backoff_initial_ms 100 and
//                                   backoff_max_ms 1000 (C ABI options), same procedure
//   recovery.seconds_one_client     round 3, one client alone in the process (a phone), defaults
// What limits the figure: the backoff schedule (a retry that hits the broker while it is down
// doubles the next delay), Paho's connect path (one send and one receive thread for all clients,
// poll() with a 1 s timeout) and, for a cold start, the broker's loading of its db.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/fleet.h"
#include "common/stats.h"
#include "core/envelope/signing.h"
#include "core/session/identity.h"
#include "support/broker.h"
#include "support/frames.h"
#include "support/loopback.h"
#include "support/raw_mqtt.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::bench;
namespace raw = callsignal::test::raw_mqtt;

namespace {

const std::string kDownlink = "bench-down";

class Arrivals : public FleetHandler {
 public:
  explicit Arrivals(std::size_t n) : seen_(n), first_at_(n) {}

  void on_incoming_call(std::size_t i, const cs_incoming_call_t& e) override { record(i, e.call_id); }
  void on_missed_call(std::size_t i, const cs_missed_call_t& e) override { record(i, e.call_id); }

  void expect(std::size_t i, std::string call_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    expected_[std::move(call_id)] = i;
  }
  bool wait_all(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return arrived_ == expected_.size(); });
  }
  struct Tally {
    std::size_t lost = 0, duplicated = 0;
  };
  Tally tally() const {
    std::lock_guard<std::mutex> lock(mutex_);
    Tally t;
    for (const auto& [id, i] : expected_) {
      auto it = seen_[i].find(id);
      if (it == seen_[i].end()) ++t.lost;
    }
    for (std::size_t i = 0; i < seen_.size(); ++i) {
      for (const auto& [id, count] : seen_[i]) {
        if (expected_.count(id) == 0) t.duplicated += count;  // never sent: counts as a copy
        else if (count > 1) t.duplicated += count - 1;
      }
    }
    return t;
  }
  // Waits up to `timeout` for a copy (a second arrival of an id, or an id never sent); true if one came.
  bool wait_for_copy(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return copies_ > 0; });
  }
  Clock::time_point first_at(std::size_t i) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_at_[i];
  }

 private:
  void record(std::size_t i, const char* call_id) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t& count = seen_[i][call_id];
    if (++count == 1 && expected_.count(call_id) != 0) {
      first_at_[i] = now;
      ++arrived_;
    } else {
      ++copies_;
    }
    cv_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, std::size_t> expected_;
  std::vector<std::map<std::string, std::size_t>> seen_;
  std::vector<Clock::time_point> first_at_;
  std::size_t arrived_ = 0;
  std::size_t copies_ = 0;
};

struct Round {
  std::string label;
  double seconds = 0;
  double connect_ms = 0;
  double down_ms = 0;
  double publish_ms = 0;
  double reconnected_s = 0;  // t_up -> last client connected
  double reconnect_p50_s = 0, invite_p50_s = 0;  // t_up -> a client connected / got its invite, medians
  std::size_t lost = 0, duplicated = 0;
  bool complete = false;
};

// Publishes `frames` (topic, payload) with QoS 1 on one raw connection and waits for every PUBACK.
void publish_all(std::uint16_t port, const std::vector<std::pair<std::string, std::string>>& frames) {
  test::UniqueFd fd = test::connect_loopback(port);
  test::write_all(fd.get(), raw::connect_packet("bench-control-peer", true));
  if (!raw::connack_accepted(raw::read_packet(fd.get()))) throw std::runtime_error("control peer: CONNECT refused");
  std::string batch;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    batch += raw::publish_packet(frames[k].first, frames[k].second, 1, static_cast<std::uint16_t>(k % 65000 + 1));
  }
  test::write_all(fd.get(), batch, std::chrono::seconds(30));
  std::size_t acks = 0;
  while (acks < frames.size()) {
    if (raw::read_packet(fd.get(), std::chrono::seconds(30)).type == raw::kPuback) ++acks;
  }
  test::write_all(fd.get(), raw::disconnect_packet());
}

Round run_round(const std::string& label, test::MosquittoBroker& broker, const Signer& signer, std::size_t clients,
                const std::string& data_root, const std::string& tag, std::uint32_t backoff_initial_ms,
                std::uint32_t backoff_max_ms, std::chrono::milliseconds wait) {
  Round round;
  round.label = label;
  Arrivals arrivals(clients);
  FleetOptions options;
  options.clients = clients;
  options.broker_uri = broker.uri();
  options.uplink = "bench-up";
  options.downlink = kDownlink;
  options.key_id = signer.key_id();
  options.public_key = signer.public_key_base64();
  options.data_root = data_root;
  options.tag = tag;
  options.backoff_initial_ms = backoff_initial_ms;
  options.backoff_max_ms = backoff_max_ms;
  Fleet fleet(options, &arrivals);
  round.connect_ms = fleet.connect_all(std::chrono::seconds(120));

  // The invites, signed before the clock starts.
  std::vector<std::pair<std::string, std::string>> frames;
  for (std::size_t i = 0; i < clients; ++i) {
    const std::string call_id = "c-rec-" + tag + "-" + std::to_string(i);
    arrivals.expect(i, call_id);
    Envelope invite = test::downlink(MessageType::invite, fleet.client_id(i), call_id, 60'000);
    frames.emplace_back(p2p_topic(kDownlink, fleet.client_id(i)), test::frame_of(invite, &signer));
  }

  const Clock::time_point down = Clock::now();
  broker.stop();
  if (!fleet.wait_connected_at_most(0, std::chrono::seconds(30))) {
    throw std::runtime_error(std::to_string(fleet.connected()) + " clients still connected 30 s after the broker stopped");
  }
  broker.restart();
  const Clock::time_point up = Clock::now();
  round.down_ms = ms_between(down, up);
  publish_all(broker.port(), frames);
  round.publish_ms = ms_between(up, Clock::now());

  const bool arrived = arrivals.wait_all(wait);
  const bool reconnected = fleet.wait_connected_at_least(clients, arrived ? std::chrono::milliseconds(wait) : std::chrono::milliseconds(0));
  round.complete = arrived && reconnected;
  Clock::time_point last = up, last_connect = up;
  for (std::size_t i = 0; i < clients; ++i) {
    last_connect = std::max(last_connect, fleet.connected_at(i));
    last = std::max({last, fleet.connected_at(i), arrivals.first_at(i)});
  }
  round.reconnected_s = ms_between(up, last_connect) / 1000.0;
  std::vector<double> reconnects, invites;
  for (std::size_t i = 0; i < clients; ++i) {
    reconnects.push_back(ms_between(up, fleet.connected_at(i)) / 1000.0);
    invites.push_back(ms_between(up, arrivals.first_at(i)) / 1000.0);
  }
  round.reconnect_p50_s = percentile(reconnects, 50);
  round.invite_p50_s = percentile(invites, 50);
  round.seconds = round.complete ? ms_between(up, last) / 1000.0 : static_cast<double>(wait.count()) / 1000.0;
  // A copy would come right behind the first arrivals (a re-sent queue, a replayed ledger): watch a
  // little longer for one.
  arrivals.wait_for_copy(std::chrono::milliseconds(1000));
  const Arrivals::Tally tally = arrivals.tally();
  round.lost = tally.lost;
  round.duplicated = tally.duplicated;
  fleet.destroy_all();
  return round;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bool quick = has_flag(argc, argv, "--quick");
    const std::size_t clients = quick ? 200 : 1000;
    const std::chrono::milliseconds wait(quick ? 30'000 : 60'000);
    const unsigned long fds = raise_fd_limit();

    test::BrokerOptions broker_options;
    broker_options.extra_config = "max_queued_messages 100000\n";
    auto broker = test::MosquittoBroker::start(broker_options);
    test::TempDir dir("callsignal-bench-recovery-");
    auto signer = Signer::generate("bench-recovery-1");
    if (!signer.ok()) throw std::runtime_error("Signer::generate: " + signer.status().message);

    const Round base = run_round("SDK defaults (backoff 500 ms, x2, 60 s max)", *broker, signer.value(), clients,
                                 dir.file("default"), "a", 0, 0, wait);
    const Round tuned = run_round("tuned backoff (100 ms initial, 1 s max)", *broker, signer.value(), clients,
                                  dir.file("tuned"), "b", 100, 1000, wait);
    // A phone's process holds one client: Paho's receive thread then has no other sockets to
    // wait on, and its connect is not held by the poll timeout that a thousand clients share.
    const Round single = run_round("one client in the process, SDK defaults", *broker, signer.value(), 1,
                                   dir.file("single"), "c", 0, 0, wait);
    broker->stop();

    std::printf("recovery%s: %zu clients with persistent sessions, broker restarted with one invite queued per client; "
                "fd limit %lu\n\n",
                quick ? " (quick: 200 clients)" : "", clients, fds);
    std::printf("| %-44s | %9s | %9s | %11s | %9s | %9s | %5s | %5s |\n", "round", "connect", "broker", "invites",
                "reconnect", "recovery", "lost", "dup");
    std::printf("| %-44s | %9s | %9s | %11s | %9s | %9s | %5s | %5s |\n", "", "all, ms", "down, ms", "queued, ms",
                "all, s", "s", "", "");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(11, '-').c_str(),
                std::string(11, '-').c_str(), std::string(13, '-').c_str(), std::string(11, '-').c_str(),
                std::string(11, '-').c_str(), std::string(7, '-').c_str(), std::string(7, '-').c_str());
    for (const Round* r : {&base, &tuned, &single}) {
      std::printf("| %-44s | %9.0f | %9.0f | %11.0f | %9.3f | %8.3f%s | %5zu | %5zu |\n", r->label.c_str(), r->connect_ms,
                  r->down_ms, r->publish_ms, r->reconnected_s, r->seconds, r->complete ? " " : "+", r->lost,
                  r->duplicated);
      std::printf("| %-44s | %9s | %9s | %11s | %9.3f | %8.3f  | %5s | %5s |\n", "  (median client)", "", "", "",
                  r->reconnect_p50_s, r->invite_p50_s, "", "");
    }
    std::printf("\n(broker down: from SIGTERM until it answers a CONNECT again, including the wait for every client "
                "to see the drop; recovery: from then until the last client is connected and has its invite; "
                "+: incomplete, the bounded wait)\n\n");
    result("recovery.clients", static_cast<double>(clients));
    result("recovery.seconds", base.seconds);
    result("recovery.lost", static_cast<double>(base.lost));
    result("recovery.duplicated", static_cast<double>(base.duplicated));
    result("recovery.seconds_tuned_backoff", tuned.seconds);
    result("recovery.seconds_one_client", single.seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "recovery: %s\n", e.what());
    return 1;
  }
}

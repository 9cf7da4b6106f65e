#include "chaos/chaos_run.h"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "chaos/chaos_ledger.h"
#include "chaos/chaos_peer.h"
#include "support/broker.h"
#include "support/process.h"
#include "support/tcp_proxy.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace callsignal::chaos {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::Deadline;
using test::MosquittoBroker;
using test::TcpProxy;
using test::TempDir;

constexpr const char* kUplink = "chaos-up";
constexpr const char* kDownlink = "chaos-down";
// The SDK's default skew tolerance (5 s) plus the event thread's delay: a ring later than this
// after ts + ttl (real clock) rang an expired invite.
constexpr std::int64_t kLateSlackMs = 7'000;

enum class Fault { kill, cut, blackhole, broker_restart, broker_crash, clock_skew };
constexpr const char* kFaultNames[] = {"kill", "tcp_cut", "blackhole", "broker_restart", "broker_crash", "clock_skew"};
constexpr double kFaultWeights[] = {30, 15, 15, 10, 5, 15};
constexpr std::size_t kFaultKinds = 6;

// A paced tick for the run loop: a bounded wait on nothing, not a synchronisation.
void pause_ms(std::int64_t ms) {
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mutex);
  cv.wait_for(lock, std::chrono::milliseconds(ms), [] { return false; });
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Device {
  std::size_t index = 0;
  std::string device_id;
  std::string user_id;
  std::string client_id;
  std::string dir;
  std::string mqtt;  // "3" or "5"
  std::unique_ptr<TcpProxy> proxy;
  ChildProcess child;
  bool running = false;
  std::int64_t restart_at = 0;     // steady ms; 0: none pending
  std::int64_t blackhole_until = 0; // steady ms; 0: not blackholed
  std::size_t spawns = 0;
  std::string events_log() const { return dir + "/events.log"; }
  std::string stderr_log() const { return dir + "/stderr.log"; }
};

struct PendingControl {
  std::int64_t at = 0;  // steady ms
  std::size_t invite = 0;
};

class Run {
 public:
  explicit Run(const RunOptions& options) : options_(options), rng_(options.seed) {}

  int go();

 private:
  void spawn(Device& device);
  void inject(Fault fault);
  void tick_background(std::int64_t now);
  void send_invites(std::int64_t now, std::int64_t started);
  void heal_all();
  std::vector<AppEvents> read_all() const;
  void refresh_acks();
  void check_children();

  const RunOptions options_;
  std::mt19937_64 rng_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::int64_t broker_restart_at_ = 0;  // steady ms; 0: broker up
  std::unique_ptr<ChaosPeer> peer_;
  std::string key_id_;
  std::string public_key_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::vector<InviteRecord> invites_;
  std::deque<PendingControl> controls_;  // in send order; each due at .at
  std::size_t controls_sent_ = 0;
  std::int64_t last_resend_scan_ = 0;  // steady ms
  std::int64_t base_skew_ = 0;
  std::size_t faults_[kFaultKinds] = {};
  std::size_t unexpected_exits_ = 0;
  std::vector<std::string> exit_notes_;
};

void Run::spawn(Device& device) {
  device.child = ChildProcess::spawn({options_.client_program, device.proxy->uri(), device.dir + "/data",
                                      device.device_id, device.user_id, kUplink, kDownlink, key_id_, public_key_,
                                      device.events_log(), device.stderr_log(), device.mqtt});
  device.running = true;
  device.restart_at = 0;
  ++device.spawns;
}

void Run::check_children() {
  for (auto& d : devices_) {
    if (!d->running || d->child.running()) continue;
    // Exited without being killed by us: a crash, or a sanitizer report (in stderr.log).
    ++unexpected_exits_;
    if (exit_notes_.size() < 10) {
      exit_notes_.push_back("device " + std::to_string(d->index) + ": " + d->child.describe_exit() + " (see " +
                            d->stderr_log() + ")");
    }
    d->running = false;
    d->restart_at = steady_ms();
  }
}

void Run::inject(Fault fault) {
  std::uniform_int_distribution<std::size_t> pick(0, devices_.size() - 1);
  Device& d = *devices_[pick(rng_)];
  const std::int64_t now = steady_ms();
  switch (fault) {
    case Fault::kill:
      if (!d.running) return;
      d.child.send_signal(SIGKILL);
      if (!d.child.wait_exit(5s)) throw std::runtime_error("a killed client did not exit");
      d.running = false;
      d.restart_at = now + std::uniform_int_distribution<std::int64_t>(0, 1'500)(rng_);
      break;
    case Fault::cut:
      d.proxy->cut_all();
      break;
    case Fault::blackhole:
      if (d.blackhole_until != 0) return;
      d.proxy->set_blackhole(true);
      d.blackhole_until = now + std::uniform_int_distribution<std::int64_t>(500, 6'000)(rng_);
      break;
    case Fault::broker_restart:
    case Fault::broker_crash:
      if (broker_restart_at_ != 0) return;
      if (fault == Fault::broker_restart) {
        broker_->stop();  // saves its db: persistent sessions and queued messages survive
      } else {
        broker_->kill();  // loses what arrived since the last save
      }
      broker_restart_at_ = now + std::uniform_int_distribution<std::int64_t>(0, 1'500)(rng_);
      break;
    case Fault::clock_skew:
      peer_->set_skew_ms(base_skew_ + std::uniform_int_distribution<std::int64_t>(-3'000, 3'000)(rng_));
      break;
  }
  ++faults_[static_cast<std::size_t>(fault)];
}

void Run::tick_background(std::int64_t now) {
  check_children();
  for (auto& d : devices_) {
    if (!d->running && d->restart_at != 0 && now >= d->restart_at) spawn(*d);
    if (d->blackhole_until != 0 && now >= d->blackhole_until) {
      d->proxy->set_blackhole(false);
      d->blackhole_until = 0;
    }
  }
  if (broker_restart_at_ != 0 && now >= broker_restart_at_) {
    broker_->restart();
    broker_restart_at_ = 0;
  }
  while (!controls_.empty() && controls_.front().at <= now) {
    InviteRecord& invite = invites_[controls_.front().invite];
    controls_.pop_front();
    invite.acked_before_control = peer_->acked(invite.id);
    invite.control_sent_real_ms = real_now_ms();
    invite.control_id = peer_->send_control(invite.device, invite.control_type, invite.call_id, "caller-" + invite.call_id,
                                            options_.long_ttl_ms);
    ++controls_sent_;
  }
  if (now - last_resend_scan_ >= 50) {
    last_resend_scan_ = now;
    peer_->resend_due();
  }
}

void Run::send_invites(std::int64_t now, std::int64_t started) {
  const auto due = static_cast<std::size_t>(static_cast<double>(now - started) / 1000.0 * options_.invites_per_second);
  std::uniform_int_distribution<std::size_t> pick(0, devices_.size() - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  while (invites_.size() < due) {
    InviteRecord invite;
    invite.device = pick(rng_);
    invite.call_id = "c-" + std::to_string(invites_.size());
    invite.short_ttl = unit(rng_) < 0.15;
    const std::int64_t ttl =
        invite.short_ttl ? std::uniform_int_distribution<std::int64_t>(2'000, 8'000)(rng_) : options_.long_ttl_ms;
    const double r = unit(rng_);
    invite.has_control = r >= 0.55;
    invite.control_type = r < 0.80 ? MessageType::cancel : r < 0.90 ? MessageType::hangup : MessageType::call_ended;
    const std::int64_t control_delay = std::uniform_int_distribution<std::int64_t>(0, 3'000)(rng_);
    const Device& d = *devices_[invite.device];
    invite.id = peer_->send_invite(invite.device, d.user_id, invite.call_id, "caller-" + invite.call_id, ttl);
    invite.expiry_real_ms = peer_->message(invite.id).expiry_real_ms;
    if (invite.has_control) controls_.push_back({now + control_delay, invites_.size()});
    invites_.push_back(std::move(invite));
  }
  // Controls were queued in invite order with different delays: keep the queue sorted by time.
  std::stable_sort(controls_.begin(), controls_.end(),
                   [](const PendingControl& a, const PendingControl& b) { return a.at < b.at; });
}

void Run::heal_all() {
  if (broker_restart_at_ != 0) {
    broker_->restart();
    broker_restart_at_ = 0;
  }
  for (auto& d : devices_) {
    if (d->blackhole_until != 0) {
      d->proxy->set_blackhole(false);
      d->blackhole_until = 0;
    }
    if (!d->running) spawn(*d);
  }
  peer_->set_skew_ms(base_skew_);
}

std::vector<AppEvents> Run::read_all() const {
  std::vector<AppEvents> apps;
  for (const auto& d : devices_) apps.push_back(read_events(d->events_log()));
  return apps;
}

void Run::refresh_acks() {
  for (InviteRecord& invite : invites_) invite.acked = invite.acked || peer_->acked(invite.id);
}

int Run::go() {
  const auto wall_start = std::chrono::steady_clock::now();
  std::printf("chaos: seed %llu\n", static_cast<unsigned long long>(options_.seed));
  std::fflush(stdout);
  dir_ = std::make_unique<TempDir>("callsignal-chaos-");
  broker_ = MosquittoBroker::start({});
  auto signer = Signer::generate("chaos-svc");
  if (!signer.ok()) throw std::runtime_error("Signer::generate: " + signer.status().message);
  key_id_ = signer.value().key_id();
  public_key_ = signer.value().public_key_base64();

  std::uniform_int_distribution<int> version(0, 1);
  std::vector<std::string> client_ids;
  for (std::size_t i = 0; i < options_.clients; ++i) {
    auto d = std::make_unique<Device>();
    d->index = i;
    d->device_id = "dev" + std::to_string(i);
    d->user_id = "user" + std::to_string(i);
    d->client_id = "GID_chaos@@@" + d->device_id;
    d->dir = dir_->file(d->device_id);
    d->mqtt = version(rng_) == 0 ? "3" : "5";
    if (::mkdir(d->dir.c_str(), 0700) != 0) throw std::runtime_error("mkdir " + d->dir);
    d->proxy = std::make_unique<TcpProxy>(broker_->port());
    client_ids.push_back(d->client_id);
    devices_.push_back(std::move(d));
  }
  base_skew_ = std::uniform_int_distribution<std::int64_t>(-options_.max_base_skew_ms, options_.max_base_skew_ms)(rng_);
  peer_ = std::make_unique<ChaosPeer>(broker_->uri(), kUplink, kDownlink, signer.value(), client_ids);
  peer_->set_skew_ms(base_skew_);
  peer_->start();
  {
    Deadline deadline(10s);
    while (!peer_->connected() && !deadline.expired()) pause_ms(10);
    if (!peer_->connected()) throw std::runtime_error("the control peer did not connect");
  }
  for (auto& d : devices_) spawn(*d);
  std::printf("chaos: %zu clients (mqtt %s), peer clock skew %lld ms, %.0f s of faults, %.0f invites/s\n",
              devices_.size(),
              [&] {
                std::string v;
                for (auto& d : devices_) v += (v.empty() ? "" : ",") + d->mqtt;
                return v;
              }()
                  .c_str(),
              static_cast<long long>(base_skew_), options_.chaos_seconds, options_.invites_per_second);
  std::fflush(stdout);

  // The chaos phase.
  std::exponential_distribution<double> fault_gap(1.0 / options_.mean_fault_interval_ms);
  std::discrete_distribution<std::size_t> fault_kind(std::begin(kFaultWeights), std::end(kFaultWeights));
  const std::int64_t started = steady_ms();
  const std::int64_t chaos_end = started + static_cast<std::int64_t>(options_.chaos_seconds * 1000);
  std::int64_t next_fault = started + static_cast<std::int64_t>(fault_gap(rng_));
  for (std::int64_t now = steady_ms(); now < chaos_end; now = steady_ms()) {
    send_invites(now, started);
    if (now >= next_fault) {
      inject(static_cast<Fault>(fault_kind(rng_)));
      next_fault = steady_ms() + static_cast<std::int64_t>(fault_gap(rng_));
    }
    tick_background(steady_ms());
    pause_ms(5);
  }

  // The quiet period: no more faults or invites; the scheduled controls still go out.
  heal_all();
  const std::int64_t quiet_start = steady_ms();
  Deadline settle(std::chrono::milliseconds(static_cast<std::int64_t>(options_.settle_seconds * 1000)));
  bool resolved = false;
  std::int64_t last_check = 0;
  while (!settle.expired()) {
    const std::int64_t now = steady_ms();
    tick_background(now);
    if (now - last_check >= 250) {
      last_check = now;
      refresh_acks();
      if (controls_.empty() && peer_->unacked_live() == 0 && settled(invites_, read_all(), real_now_ms())) {
        resolved = true;
        break;
      }
    }
    pause_ms(10);
  }
  // A little more time for a late copy to show up as a second delivery, then stop the devices.
  if (resolved) {
    Deadline grace(1500ms);
    while (!grace.expired()) {
      tick_background(steady_ms());
      pause_ms(20);
    }
  }
  const std::int64_t settle_ms = steady_ms() - quiet_start;
  check_children();
  std::size_t unclean_stops = 0;
  for (auto& d : devices_) {
    if (!d->running) continue;
    const bool clean = d->child.terminate(5s);
    const bool ok = clean && d->child.wait_status() == 0;
    if (!ok) {
      ++unclean_stops;
      if (exit_notes_.size() < 10) {
        exit_notes_.push_back("device " + std::to_string(d->index) + " at stop: " + d->child.describe_exit() +
                              " (see " + d->stderr_log() + ")");
      }
    }
    d->running = false;
  }
  refresh_acks();
  const PeerCounts pc = peer_->counts();
  const Tally t = tally(invites_, read_all(), real_now_ms(), kLateSlackMs);
  std::size_t controls_acked = 0;
  for (const InviteRecord& invite : invites_) {
    if (!invite.control_id.empty() && peer_->acked(invite.control_id)) ++controls_acked;
  }
  peer_->close();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::size_t restarts = 0;
  for (auto& d : devices_) restarts += d->spawns - 1;
  std::string faults;
  std::size_t fault_total = 0;
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    faults += std::string(k == 0 ? "" : ", ") + kFaultNames[k] + " " + std::to_string(faults_[k]);
    fault_total += faults_[k];
  }
  std::printf("chaos: seed %llu, %.1f s (settled in %.1f s%s)\n", static_cast<unsigned long long>(options_.seed), seconds,
              static_cast<double>(settle_ms) / 1000.0, resolved ? "" : ", NOT resolved before the deadline");
  std::printf("  faults:    %zu (%s); client restarts %zu\n", fault_total, faults.c_str(), restarts);
  std::printf("  sent:      %zu invites (%zu short-lived), %zu control messages (%zu acked), %llu publishes (%llu re-sends), %llu hello_acks\n",
              t.invites,
              static_cast<std::size_t>(std::count_if(invites_.begin(), invites_.end(),
                                                     [](const InviteRecord& i) { return i.short_ttl; })),
              controls_sent_, controls_acked, static_cast<unsigned long long>(pc.publishes),
              static_cast<unsigned long long>(pc.resends), static_cast<unsigned long long>(pc.hellos));
  std::string requests;
  for (const auto& [type, n] : pc.requests) requests += " " + type + " " + std::to_string(n);
  std::printf("  uplink:    %llu acks;%s\n", static_cast<unsigned long long>(pc.acks), requests.c_str());
  std::printf("  delivered: %zu (rang %zu, missed-call only %zu)\n", t.delivered, t.rang, t.missed_only);
  std::printf("  allowed silences: ended before receipt %zu, expired unreceived %zu; reported expired early %zu\n",
              t.ended_before_receipt, t.expired_unreceived, t.missed_expired_early);
  std::printf("  lost:            %zu\n", t.lost);
  std::printf("  delivered-twice: %zu\n", t.twice);
  std::printf("  rang late:       %zu\n", t.rang_late);
  std::printf("  unexpected ids:  %zu\n", t.unexpected);
  std::printf("  client failures: %zu unexpected exits, %zu unclean stops\n", unexpected_exits_, unclean_stops);
  for (const std::string& e : t.lost_examples) std::printf("    lost: %s\n", e.c_str());
  for (const std::string& e : t.twice_examples) std::printf("    twice: %s\n", e.c_str());
  for (const std::string& e : t.late_examples) std::printf("    late: %s\n", e.c_str());
  for (const std::string& e : t.unexpected_examples) std::printf("    unexpected: %s\n", e.c_str());
  for (const std::string& e : exit_notes_) std::printf("    exit: %s\n", e.c_str());
  const bool pass = t.pass() && unexpected_exits_ == 0 && unclean_stops == 0;
  if (pass) {
    std::printf("chaos: PASS (seed %llu)\n", static_cast<unsigned long long>(options_.seed));
  } else {
    dir_->release();
    std::printf("chaos: FAIL (seed %llu); the run's files are kept in %s\n", static_cast<unsigned long long>(options_.seed),
                dir_->path().c_str());
    std::printf("chaos: replay with: %s\n", options_.replay_command.c_str());
  }
  std::fflush(stdout);
  // Stopped here, in order: devices are down; the proxies, then the broker.
  for (auto& d : devices_) d->proxy.reset();
  broker_.reset();
  return pass ? 0 : 1;
}

}  // namespace

int run(const RunOptions& options) {
  try {
    Run run(options);
    return run.go();
  } catch (const std::exception& e) {
    std::printf("chaos: ERROR (seed %llu): %s\nchaos: replay with: %s\n", static_cast<unsigned long long>(options.seed),
                e.what(), options.replay_command.c_str());
    std::fflush(stdout);
    return 1;
  }
}

}  // namespace callsignal::chaos

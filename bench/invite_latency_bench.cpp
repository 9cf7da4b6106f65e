// invite_latency: an invite published by a control peer until the app's callback fires, through the
// whole SDK (decode, signature, filter, ledger, ack, state machine, event thread, C ABI), against a
// bare Paho subscriber on the same broker, in the same process, interleaved sample by sample.
//   callsignal_bench_invite_latency [--quick] [--samples-dir DIR] [--rounds N] [--broker-nagle] [--broker-uri URI]
// Each round times, in this order, with the system settled in between (not timed):
//   SDK unsigned (no trusted keys), raw, SDK signed (trusted key, Ed25519-signed invites), raw.
// A sample runs from just before the peer's MQTTAsync_sendMessage (QoS 1) to the first line of the
// app's on_incoming_call (SDK) or of the subscriber's messageArrived (raw). The SDK's call is then
// cleared by the peer's cancel (the app sees ENDED), and the device's acks and ringing are awaited.
// Prints a table, then "RESULT invite_latency.<key> <value>" lines for scripts/bench.sh.
// --samples-dir DIR writes the per-sample latencies in microseconds, one a line:
//   invite_latency_sdk_us.txt (unsigned SDK), invite_latency_raw_us.txt, invite_latency_signed_us.txt.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "callsignal/callsignal.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/signing.h"
#include "invite_latency/control_peer.h"
#include "invite_latency/paho_link.h"
#include "invite_latency/sdk_device.h"
#include "support/broker.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::bench;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kStepDeadline = 5s;  // any one wait; a miss aborts the run

struct Settings {
  bool quick = false;
  std::string samples_dir;
  int warmup_rounds = 0;
  int rounds = 0;
  bool broker_nagle = false;  // keep Mosquitto's default (Nagle on for what it sends)
  std::string broker_uri;     // a broker started by hand instead of our own (profiling only)
};

double micros(SteadyClock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Nearest-rank percentile of a sorted vector.
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Summary {
  std::vector<double> sorted;
  double p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0, mean = 0;
};

Summary summarize(std::vector<double> samples) {
  Summary s;
  std::sort(samples.begin(), samples.end());
  s.sorted = std::move(samples);
  if (s.sorted.empty()) return s;
  s.p50 = percentile(s.sorted, 0.50);
  s.p90 = percentile(s.sorted, 0.90);
  s.p99 = percentile(s.sorted, 0.99);
  s.min = s.sorted.front();
  s.max = s.sorted.back();
  double sum = 0;
  for (double v : s.sorted) sum += v;
  s.mean = sum / static_cast<double>(s.sorted.size());
  return s;
}

// The raw path's app: stamps first thing in messageArrived (Paho's receive thread).
class RawSink {
 public:
  void arrived() {
    const SteadyClock::time_point now = SteadyClock::now();
    std::lock_guard<std::mutex> lock(mu_);
    last_ = now;
    ++count_;
    cv_.notify_all();
  }
  bool wait_count(std::uint64_t n, std::chrono::milliseconds timeout, SteadyClock::time_point* at) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return count_ >= n; })) return false;
    *at = last_;
    return count_ == n;  // more than one arrival per publish would be a harness bug
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t count_ = 0;
  SteadyClock::time_point last_;
};

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

// One SDK sample: the invite until the ring, then the call cleared and the traffic settled.
// When the device's protocol ack and its ringing reached the peer, from the invite's publish.
struct Uplink {
  std::vector<double> ack_us, ringing_us;
};

double sdk_sample(ControlPeer& peer, SdkDevice& device, const std::string& call_id, bool sign, Uplink* uplink) {
  std::string invite_id;
  const std::string topic = p2p_topic(device.client_id());
  const std::string invite = peer.invite(device.client_id(), call_id, sign, &invite_id);
  const SteadyClock::time_point sent = peer.publish(topic, invite);
  SteadyClock::time_point rang;
  require(device.wait_ring(call_id, kStepDeadline, &rang), device.client_id() + ": no ring for " + call_id);
  std::string cancel_id;
  peer.publish(topic, peer.cancel(device.client_id(), call_id, sign, &cancel_id));
  require(device.wait_ended(call_id, kStepDeadline), device.client_id() + ": " + call_id + " did not end");
  require(peer.wait_settled({invite_id, cancel_id}, call_id, kStepDeadline),
          device.client_id() + ": no ack or ringing for " + call_id);
  if (uplink != nullptr) {
    uplink->ack_us.push_back(micros(peer.seen_at(invite_id) - sent));
    uplink->ringing_us.push_back(micros(peer.seen_at(call_id) - sent));
  }
  return micros(rang - sent);
}

double raw_sample(ControlPeer& peer, RawSink& sink, const std::string& raw_client, std::uint64_t n,
                  const std::string& call_id) {
  const std::string frame = peer.invite(raw_client, call_id, false, nullptr);
  const SteadyClock::time_point sent = peer.publish(p2p_topic(raw_client), frame);
  SteadyClock::time_point arrived;
  require(sink.wait_count(n, kStepDeadline, &arrived), "raw subscriber: message " + std::to_string(n) + " missing");
  return micros(arrived - sent);
}

// One Ed25519 verify of an invite's message text, as the SDK's decode() does it (median of batches).
double verify_us(const Signer& signer, int batches) {
  Envelope invite;
  invite.id = std::string(32, 'e');
  invite.type = MessageType::invite;
  invite.from = kServiceId;
  invite.to = std::string(kGroupId) + "@@@sdk-signed";
  invite.ts_ms = wall_ms();
  invite.ttl_ms = 45'000;
  invite.call_id = "c-verify";
  invite.body.set_string("role", "callee").set_string("caller", "alice").set_string_list("callees", {"bob"});
  invite.body.set_string("media", "audio").set_string_map("rtc", {{"token", std::string(64, 'a')}});
  const std::string text = encode_message(invite).value();
  const std::string sig = signer.sign(text).value();
  TrustedKeys keys;
  require(keys.add_base64(signer.key_id(), signer.public_key_base64()).ok(), "add_base64");
  std::vector<double> per_batch;
  constexpr int kPerBatch = 200;
  for (int b = 0; b < batches; ++b) {
    const SteadyClock::time_point start = SteadyClock::now();
    for (int i = 0; i < kPerBatch; ++i) require(keys.verify(signer.key_id(), sig, text).ok(), "verify failed");
    per_batch.push_back(micros(SteadyClock::now() - start) / kPerBatch);
  }
  return summarize(per_batch).p50;
}

// One thread hand-off on this machine: a condition variable notified with a stamp, the waiting
// thread stamps on waking (as the SDK's Paho receive thread hands a message to its event thread).
Summary handoff_us(int iterations) {
  std::mutex mu;
  std::condition_variable cv;
  int posted = 0, taken = 0;
  SteadyClock::time_point stamp;
  std::vector<double> samples;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    for (int i = 1; i <= iterations; ++i) {
      if (!cv.wait_for(lock, kStepDeadline, [&] { return posted >= i; })) return;
      samples.push_back(micros(SteadyClock::now() - stamp));
      taken = i;
      cv.notify_all();
    }
  });
  for (int i = 1; i <= iterations; ++i) {
    std::unique_lock<std::mutex> lock(mu);
    stamp = SteadyClock::now();
    posted = i;
    cv.notify_all();
    if (!cv.wait_for(lock, kStepDeadline, [&] { return taken >= i; })) break;
  }
  waiter.join();
  return summarize(samples);
}

void write_samples(const std::string& dir, const char* name, const std::vector<double>& samples) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path);
  for (double v : samples) out << v << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

void row(const char* what, const Summary& s) {
  std::printf("| %-26s | %7zu | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f |\n", what, s.sorted.size(), s.min, s.p50,
              s.p90, s.p99, s.max);
}

int run(const Settings& settings) {
  // Quiet: the SDK logs warnings and errors only, to stderr.
  cs_log_set_handler(
      CS_LOG_WARN, [](void*, cs_log_level_t, const char* message) { std::fprintf(stderr, "sdk: %s\n", message); },
      nullptr, nullptr);

  test::BrokerOptions broker_options;
  if (!settings.broker_nagle) broker_options.extra_config = "set_tcp_nodelay true\n";
  if (!settings.samples_dir.empty()) std::filesystem::create_directories(settings.samples_dir);
  // Valgrind lacks pidfd_open, which the harness's child processes use: under callgrind, pass
  // --broker-uri of a Mosquitto started by hand (with set_tcp_nodelay true).
  std::unique_ptr<test::MosquittoBroker> broker =
      settings.broker_uri.empty() ? test::MosquittoBroker::start(broker_options) : nullptr;
  const std::string uri = broker ? broker->uri() : settings.broker_uri;
  test::TempDir unsigned_dir("cs-bench-lat-sdk-");
  test::TempDir signed_dir("cs-bench-lat-signed-");
  Result<Signer> signer = Signer::generate("bench-2026");
  require(signer.ok(), "Signer::generate");

  ControlPeer peer(uri, signer.value());
  RawSink sink;
  const std::string raw_client = std::string(kGroupId) + "@@@raw-subscriber";
  PahoLink raw(uri, raw_client, false, [&sink](std::string_view, std::string_view) { sink.arrived(); });
  peer.ready();  // subscribed to the uplink before any device connects and says hello
  SdkDevice sdk(uri, "sdk-unsigned", unsigned_dir.path(), {});
  SdkDevice sdk_signed(uri, "sdk-signed", signed_dir.path(),
                       {{signer.value().key_id(), signer.value().public_key_base64()}});
  raw.wait_connected();
  raw.subscribe(p2p_topic(raw_client));
  sdk.wait_connected();
  sdk_signed.wait_connected();
  peer.answer_hello(sdk.client_id(), false, kStepDeadline);
  peer.answer_hello(sdk_signed.client_id(), true, kStepDeadline);

  std::vector<double> sdk_us, raw_us, signed_us;
  std::uint64_t raw_count = 0;
  Uplink uplink;
  const SteadyClock::time_point started = SteadyClock::now();
  for (int round = 0; round < settings.warmup_rounds + settings.rounds; ++round) {
    const bool keep = round >= settings.warmup_rounds;
    const std::string call = "c-bench-" + std::to_string(round);
    const double u = sdk_sample(peer, sdk, call + "-u", false, keep ? &uplink : nullptr);
    const double r1 = raw_sample(peer, sink, raw_client, ++raw_count, call + "-r1");
    const double s = sdk_sample(peer, sdk_signed, call + "-s", true, nullptr);
    const double r2 = raw_sample(peer, sink, raw_client, ++raw_count, call + "-r2");
    if (!keep) continue;
    sdk_us.push_back(u);
    raw_us.push_back(r1);
    signed_us.push_back(s);
    raw_us.push_back(r2);
  }
  const double run_s = std::chrono::duration<double>(SteadyClock::now() - started).count();
  const double verify = verify_us(signer.value(), settings.quick ? 20 : 60);
  const Summary handoff = handoff_us(settings.quick ? 500 : 2000);

  if (!settings.samples_dir.empty()) {
    write_samples(settings.samples_dir, "invite_latency_sdk_us.txt", sdk_us);
    write_samples(settings.samples_dir, "invite_latency_raw_us.txt", raw_us);
    write_samples(settings.samples_dir, "invite_latency_signed_us.txt", signed_us);
  }

  const Summary sdk_s = summarize(sdk_us);
  const Summary raw_s = summarize(raw_us);
  const Summary signed_s = summarize(signed_us);
  const std::size_t invite_bytes = peer.invite(sdk.client_id(), "c-bench-size", false, nullptr).size();
  const std::size_t signed_bytes = peer.invite(sdk_signed.client_id(), "c-bench-size", true, nullptr).size();

  std::printf("invite latency, loopback Mosquitto, QoS 1, %d warm-up rounds discarded, %.1f s of rounds\n",
              settings.warmup_rounds, run_s);
  std::printf("invite frame: %zu B unsigned (SDK and raw), %zu B signed\n\n", invite_bytes, signed_bytes);
  std::printf("| %-26s | %7s | %8s | %8s | %8s | %8s | %8s |\n", "path (µs)", "samples", "min", "p50", "p90", "p99",
              "max");
  std::printf("| %s | ------- | -------- | -------- | -------- | -------- | -------- |\n", std::string(26, '-').c_str());
  row("SDK, unsigned", sdk_s);
  row("raw Paho subscriber", raw_s);
  row("SDK, signed (Ed25519)", signed_s);
  std::printf("\n| %-50s | %10s |\n| %s | ---------- |\n", "figure", "value", std::string(50, '-').c_str());
  const auto fig = [](const char* what, double v) { std::printf("| %-50s | %10.3f |\n", what, v); };
  fig("ratio p50 (SDK / raw), target <= 1.05", sdk_s.p50 / raw_s.p50);
  fig("ratio p99 (SDK / raw), target <= 1.10", sdk_s.p99 / raw_s.p99);
  fig("SDK - raw at p50 (µs)", sdk_s.p50 - raw_s.p50);
  fig("signed - unsigned at p50 (µs)", signed_s.p50 - sdk_s.p50);
  fig("signed - unsigned at p99 (µs)", signed_s.p99 - sdk_s.p99);
  fig("one Ed25519 verify, in-process (µs)", verify);
  fig("one thread hand-off (cv notify -> wake), p50 (µs)", handoff.p50);
  fig("one thread hand-off (cv notify -> wake), p99 (µs)", handoff.p99);
  const Summary ack_s = summarize(uplink.ack_us);
  const Summary ringing_s = summarize(uplink.ringing_us);
  fig("invite -> device's ack at the peer, p50 (µs)", ack_s.p50);
  fig("invite -> device's ringing at peer, p50 (µs)", ringing_s.p50);

  const auto result = [](const char* key, double v) { std::printf("RESULT invite_latency.%s %.3f\n", key, v); };
  result("sdk_p50_us", sdk_s.p50);
  result("sdk_p99_us", sdk_s.p99);
  result("raw_p50_us", raw_s.p50);
  result("raw_p99_us", raw_s.p99);
  result("ratio_p50", sdk_s.p50 / raw_s.p50);
  result("ratio_p99", sdk_s.p99 / raw_s.p99);
  result("signed_p50_us", signed_s.p50);
  result("signed_p99_us", signed_s.p99);
  result("ed25519_verify_us", verify);
  result("signed_extra_p50_us", signed_s.p50 - sdk_s.p50);
  result("handoff_p50_us", handoff.p50);
  result("ack_p50_us", ack_s.p50);
  result("ringing_p50_us", ringing_s.p50);
  std::printf("RESULT invite_latency.samples %zu\n", sdk_s.sorted.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  int rounds = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      settings.quick = true;
    } else if (std::strcmp(argv[i], "--broker-nagle") == 0) {
      settings.broker_nagle = true;
    } else if (std::strcmp(argv[i], "--broker-uri") == 0 && i + 1 < argc) {
      settings.broker_uri = argv[++i];
    } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--samples-dir") == 0 && i + 1 < argc) {
      settings.samples_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--rounds N] [--broker-nagle] [--broker-uri URI] [--samples-dir DIR]\n", argv[0]);
      return 2;
    }
  }
  // A round takes about 4 ms here, most of it waiting for the device's uplink (acks, ringing) to
  // settle. (It took 90-100 ms before the session turned Nagle off on its broker connection.)
  settings.warmup_rounds = settings.quick ? 50 : 200;
  settings.rounds = rounds > 0 ? rounds : settings.quick ? 1000 : 5000;
  try {
    return run(settings);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "invite_latency: %s\n", e.what());
    return 1;
  }
}

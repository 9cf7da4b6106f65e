// Self-tests of the test harness (tests/support): the broker, the proxy, the TLS material and
// the waiting helpers. Each test starts its own brokers; MQTT is spoken by hand (raw_mqtt) so a
// failure here points at the harness, not at our client code.
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <thread>
#include <vector>

#include "support/broker.h"
#include "support/loopback.h"
#include "support/ports.h"
#include "support/raw_mqtt.h"
#include "support/shared_broker.h"
#include "support/tcp_proxy.h"
#include "support/temp_dir.h"
#include "support/tls_material.h"
#include "support/tls_probe.h"
#include "support/wait.h"

using namespace callsignal::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

// Sends CONNECT and requires an accepting CONNACK. Returns the session-present flag.
bool mqtt_connect(int fd, const std::string& client_id, bool clean_session) {
  write_all(fd, raw_mqtt::connect_packet(client_id, clean_session));
  raw_mqtt::Packet connack = raw_mqtt::read_packet(fd);
  REQUIRE(raw_mqtt::connack_accepted(connack));
  return raw_mqtt::connack_session_present(connack);
}

void mqtt_subscribe(int fd, const std::string& topic, int qos) {
  write_all(fd, raw_mqtt::subscribe_packet(1, topic, qos));
  REQUIRE(raw_mqtt::read_packet(fd).type == raw_mqtt::kSuback);
}

// DISCONNECT, then wait until the broker closed the connection: it has processed it.
void mqtt_disconnect(int fd) {
  write_all(fd, raw_mqtt::disconnect_packet());
  std::string ignored;
  REQUIRE(read_some(fd, &ignored, 5s) == ReadOutcome::closed);
}

// The proxy resets a connection at once: the connect itself fails (the reset came before the
// handshake was seen complete), or the first read does.
bool reset_on_connect(std::uint16_t port) {
  UniqueFd fd;
  try {
    fd = connect_loopback(port);
  } catch (const std::runtime_error&) {
    return true;
  }
  std::string ignored;
  return read_some(fd.get(), &ignored, 2s) == ReadOutcome::closed;
}

// Our child is reaped: waitpid no longer knows it.
bool reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD; }

bool is_dir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

}  // namespace

TEST_CASE("broker starts on 127.0.0.1 and accepts MQTT connections", "[harness]") {
  auto broker = MosquittoBroker::start();
  REQUIRE(broker->running());
  CHECK(broker->pid() > 0);
  CHECK(broker->uri() == "tcp://127.0.0.1:" + std::to_string(broker->port()));
  CHECK(broker->uri_with_host("localhost") == "tcp://localhost:" + std::to_string(broker->port()));
  UniqueFd fd = connect_loopback(broker->port());
  CHECK_FALSE(mqtt_connect(fd.get(), "harness-start", true));
}

TEST_CASE("broker on a given port, and a taken port is reported", "[harness]") {
  BrokerOptions options;
  options.port = free_loopback_port();
  auto broker = MosquittoBroker::start(options);
  CHECK(broker->port() == options.port);
  // A port the caller chose is not replaced by another one.
  CHECK_THROWS_WITH(MosquittoBroker::start(options), Contains("in use"));
}

TEST_CASE("extra_config applies; a broker refusing anonymous clients still starts", "[harness]") {
  BrokerOptions options;
  options.extra_config = "allow_anonymous false";
  auto broker = MosquittoBroker::start(options);
  UniqueFd fd = connect_loopback(broker->port());
  write_all(fd.get(), raw_mqtt::connect_packet("harness-anonymous", true));
  raw_mqtt::Packet connack = raw_mqtt::read_packet(fd.get());
  CHECK(connack.type == raw_mqtt::kConnack);
  CHECK_FALSE(raw_mqtt::connack_accepted(connack));
}

TEST_CASE("broker restart keeps the port and a persistent session's queued messages", "[harness]") {
  auto broker = MosquittoBroker::start();
  const std::uint16_t port = broker->port();
  {
    UniqueFd sub = connect_loopback(port);
    CHECK_FALSE(mqtt_connect(sub.get(), "harness-sub", false));
    mqtt_subscribe(sub.get(), "harness/persist", 1);
    mqtt_disconnect(sub.get());
  }
  {
    UniqueFd pub = connect_loopback(port);
    mqtt_connect(pub.get(), "harness-pub", true);
    write_all(pub.get(), raw_mqtt::publish_packet("harness/persist", "kept", 1, 7));
    REQUIRE(raw_mqtt::read_packet(pub.get()).type == raw_mqtt::kPuback);
    mqtt_disconnect(pub.get());
  }
  const pid_t old_pid = broker->pid();
  broker->restart();
  CHECK(broker->port() == port);
  CHECK(broker->pid() != old_pid);
  CHECK(reaped(old_pid));

  UniqueFd sub = connect_loopback(port);
  CHECK(mqtt_connect(sub.get(), "harness-sub", false));  // session present
  raw_mqtt::Publish message = raw_mqtt::parse_publish(raw_mqtt::read_packet(sub.get()));
  CHECK(message.topic == "harness/persist");
  CHECK(message.payload == "kept");
  CHECK(message.qos == 1);
  write_all(sub.get(), raw_mqtt::puback_packet(message.packet_id));
}

TEST_CASE("a stopped broker refuses connections until restarted", "[harness]") {
  auto broker = MosquittoBroker::start();
  const pid_t pid = broker->pid();
  broker->stop();
  CHECK_FALSE(broker->running());
  CHECK(broker->pid() == -1);
  CHECK(reaped(pid));
  CHECK_FALSE(can_connect_loopback(broker->port(), 1s));
  broker->stop();  // idempotent
  broker->restart();
  CHECK(broker->running());
  UniqueFd fd = connect_loopback(broker->port());
  mqtt_connect(fd.get(), "harness-after-stop", true);
}

TEST_CASE("kill is a crash: no zombie, and state since the last clean stop is lost", "[harness]") {
  auto broker = MosquittoBroker::start();
  {
    UniqueFd sub = connect_loopback(broker->port());
    mqtt_connect(sub.get(), "harness-crash", false);
    mqtt_subscribe(sub.get(), "harness/crash", 1);
    mqtt_disconnect(sub.get());
  }
  const pid_t pid = broker->pid();
  broker->kill();
  CHECK_FALSE(broker->running());
  CHECK(reaped(pid));
  broker->restart();
  UniqueFd sub = connect_loopback(broker->port());
  CHECK_FALSE(mqtt_connect(sub.get(), "harness-crash", false));  // the session was never saved
}

TEST_CASE("the broker's destructor leaves no process and no directory", "[harness]") {
  pid_t pid = -1;
  std::string dir;
  {
    auto broker = MosquittoBroker::start();
    pid = broker->pid();
    dir = broker->dir();
    REQUIRE(is_dir(dir));
  }
  CHECK(reaped(pid));
  CHECK_FALSE(is_dir(dir));
}

TEST_CASE("proxy forwards both ways, in bounded chunks", "[harness]") {
  auto broker = MosquittoBroker::start();
  TcpProxy proxy(broker->port());
  CHECK(proxy.uri() == "tcp://127.0.0.1:" + std::to_string(proxy.port()));
  CHECK(proxy.uri("ssl") == "ssl://127.0.0.1:" + std::to_string(proxy.port()));

  UniqueFd fd = connect_loopback(proxy.port());
  mqtt_connect(fd.get(), "harness-proxy", true);
  CHECK(proxy.connections() == 1);
  CHECK(proxy.accepted() == 1);
  mqtt_subscribe(fd.get(), "harness/big", 0);
  // Larger than the proxy's 64 KiB per-direction buffer, both ways.
  std::string payload(300 * 1024, 'x');
  for (std::size_t i = 0; i < payload.size(); i += 1000) payload[i] = static_cast<char>('a' + i % 26);
  write_all(fd.get(), raw_mqtt::publish_packet("harness/big", payload, 0));
  raw_mqtt::Publish echoed = raw_mqtt::parse_publish(raw_mqtt::read_packet(fd.get()));
  CHECK(echoed.payload == payload);

  mqtt_disconnect(fd.get());  // the broker's close travels back through the proxy
}

TEST_CASE("proxy cut_all resets every connection at once", "[harness]") {
  auto broker = MosquittoBroker::start();
  TcpProxy proxy(broker->port());
  UniqueFd a = connect_loopback(proxy.port());
  UniqueFd b = connect_loopback(proxy.port());
  mqtt_connect(a.get(), "harness-cut-a", true);
  mqtt_connect(b.get(), "harness-cut-b", true);
  REQUIRE(proxy.connections() == 2);

  proxy.cut_all();
  CHECK(proxy.connections() == 0);
  std::string ignored;
  CHECK(read_some(a.get(), &ignored, 2s) == ReadOutcome::closed);
  CHECK(read_some(b.get(), &ignored, 2s) == ReadOutcome::closed);

  UniqueFd again = connect_loopback(proxy.port());
  mqtt_connect(again.get(), "harness-cut-a", true);
}

TEST_CASE("proxy blackhole forwards nothing but keeps connections open", "[harness]") {
  auto broker = MosquittoBroker::start();
  TcpProxy proxy(broker->port());
  UniqueFd fd = connect_loopback(proxy.port());
  mqtt_connect(fd.get(), "harness-blackhole", true);

  proxy.set_blackhole(true);
  write_all(fd.get(), raw_mqtt::pingreq_packet());
  std::string got;
  CHECK(read_some(fd.get(), &got, 300ms) == ReadOutcome::timeout);
  // New connections are accepted but reach nothing.
  UniqueFd late = connect_loopback(proxy.port());
  write_all(late.get(), raw_mqtt::connect_packet("harness-blackhole-late", true));
  CHECK(read_some(late.get(), &got, 300ms) == ReadOutcome::timeout);
  CHECK(got.empty());
  CHECK(proxy.connections() == 2);

  // Lifted: what was queued flows, on intact streams.
  proxy.set_blackhole(false);
  CHECK(raw_mqtt::read_packet(fd.get()).type == raw_mqtt::kPingresp);
  CHECK(raw_mqtt::connack_accepted(raw_mqtt::read_packet(late.get())));
}

TEST_CASE("proxy refuse resets new connections only", "[harness]") {
  auto broker = MosquittoBroker::start();
  TcpProxy proxy(broker->port());
  UniqueFd before = connect_loopback(proxy.port());
  mqtt_connect(before.get(), "harness-refuse-before", true);

  proxy.set_refuse(true);
  CHECK(reset_on_connect(proxy.port()));
  write_all(before.get(), raw_mqtt::pingreq_packet());
  CHECK(raw_mqtt::read_packet(before.get()).type == raw_mqtt::kPingresp);

  proxy.set_refuse(false);
  UniqueFd after = connect_loopback(proxy.port());
  mqtt_connect(after.get(), "harness-refuse-after", true);
  CHECK(proxy.accepted() == 2);
}

TEST_CASE("proxy resets clients when the upstream is down", "[harness]") {
  auto broker = MosquittoBroker::start();
  TcpProxy proxy(broker->port());
  broker->stop();
  CHECK(reset_on_connect(proxy.port()));
  CHECK(proxy.connections() == 0);
}

TEST_CASE("TLS material: CA, server, mismatch, client certificates and SPKI pins", "[harness]") {
  auto tls = TlsMaterial::create();
  for (const std::string* path : {&tls->ca_cert, &tls->server_cert, &tls->server_key, &tls->wrong_ca_cert,
                                  &tls->mismatch_server_cert, &tls->mismatch_server_key, &tls->client_cert,
                                  &tls->client_key, &tls->wrong_client_cert, &tls->wrong_client_key}) {
    struct stat st {};
    INFO(*path);
    REQUIRE(::stat(path->c_str(), &st) == 0);
    CHECK(st.st_size > 0);
  }
  CHECK(tls->server_spki_pin.size() == 44);  // base64 of 32 bytes
  CHECK(tls->server_spki_pin.back() == '=');
  CHECK(tls->server_spki_pin != tls->mismatch_server_spki_pin);
}

TEST_CASE("TLS broker: verified with the CA, rejected with the wrong CA", "[harness]") {
  BrokerOptions options;
  options.tls = true;
  auto broker = MosquittoBroker::start(options);
  const TlsMaterial& tls = broker->tls();
  const std::string port = std::to_string(broker->port());
  CHECK(broker->uri() == "ssl://127.0.0.1:" + port);
  CHECK(broker->uri_with_host("localhost") == "ssl://localhost:" + port);

  TlsProbeResult good = tls_mqtt_probe(broker->port(), {tls.ca_cert, "localhost", "", ""});
  INFO(good.error);
  CHECK(good.ok);
  CHECK(good.peer_spki_pin == tls.server_spki_pin);
  CHECK(tls_mqtt_probe(broker->port(), {tls.ca_cert, "127.0.0.1", "", ""}).ok);  // IP SAN

  TlsProbeResult wrong_ca = tls_mqtt_probe(broker->port(), {tls.wrong_ca_cert, "localhost", "", ""});
  CHECK_FALSE(wrong_ca.ok);
  CHECK_THAT(wrong_ca.error, Contains("certificate verify"));

  CHECK_FALSE(tls_mqtt_probe(broker->port(), {tls.ca_cert, "wrong.example", "", ""}).ok);

  // TLS passes through the proxy untouched.
  TcpProxy proxy(broker->port());
  CHECK(tls_mqtt_probe(proxy.port(), {tls.ca_cert, "localhost", "", ""}).ok);
}

TEST_CASE("TLS broker with the hostname-mismatch certificate", "[harness]") {
  BrokerOptions options;
  options.tls = true;
  options.server_cert = ServerCert::hostname_mismatch;
  auto broker = MosquittoBroker::start(options);
  const TlsMaterial& tls = broker->tls();
  TlsProbeResult localhost = tls_mqtt_probe(broker->port(), {tls.ca_cert, "localhost", "", ""});
  CHECK_FALSE(localhost.ok);
  CHECK_THAT(localhost.error, Contains("hostname mismatch"));
  TlsProbeResult named = tls_mqtt_probe(broker->port(), {tls.ca_cert, "wrong.example", "", ""});
  CHECK(named.ok);
  CHECK(named.peer_spki_pin == tls.mismatch_server_spki_pin);
}

TEST_CASE("TLS broker requiring client certificates, sharing TLS material", "[harness]") {
  auto tls = TlsMaterial::create();
  BrokerOptions options;
  options.tls = true;
  options.tls_material = tls;
  options.require_client_cert = true;
  auto broker = MosquittoBroker::start(options);
  CHECK(&broker->tls() == tls.get());

  TlsProbeResult with_cert = tls_mqtt_probe(broker->port(), {tls->ca_cert, "localhost", tls->client_cert, tls->client_key});
  INFO(with_cert.error);
  CHECK(with_cert.ok);
  CHECK_FALSE(tls_mqtt_probe(broker->port(), {tls->ca_cert, "localhost", "", ""}).ok);
  CHECK_FALSE(
      tls_mqtt_probe(broker->port(), {tls->ca_cert, "localhost", tls->wrong_client_cert, tls->wrong_client_key}).ok);
}

TEST_CASE("shared broker is reachable", "[harness]") {
  const std::uint16_t port = shared_broker_port();
  CHECK(shared_broker_uri() == "tcp://127.0.0.1:" + std::to_string(port));
  UniqueFd fd = connect_loopback(port);
  mqtt_connect(fd.get(), "harness-shared", true);
}

TEST_CASE("broker state file round-trips", "[harness]") {
  TempDir dir;
  write_broker_state(dir.file("state"), {1234, 567, "/tmp/x"});
  BrokerState state = read_broker_state(dir.file("state"));
  CHECK(state.port == 1234);
  CHECK(state.pid == 567);
  CHECK(state.dir == "/tmp/x");
  CHECK_THROWS(read_broker_state(dir.file("missing")));
}

TEST_CASE("free_loopback_port gives a bindable port", "[harness]") {
  std::uint16_t port = free_loopback_port();
  CHECK(port >= 1024);
  CHECK_FALSE(can_connect_loopback(port, 1s));  // nobody listens there
}

TEST_CASE("TempDir is removed with its contents, unless released", "[harness]") {
  std::string path;
  {
    TempDir dir("callsignal-selftest-", DirOwner::mosquitto);
    path = dir.path();
    std::filesystem::create_directories(dir.file("a/b"));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    if (::geteuid() == 0) CHECK(st.st_uid != 0);  // handed to mosquitto
  }
  CHECK_FALSE(is_dir(path));
  {
    TempDir kept;
    kept.release();
    path = kept.path();
  }
  CHECK(is_dir(path));
  std::filesystem::remove_all(path);
}

TEST_CASE("EventLog collects events from threads and waits with a deadline", "[harness]") {
  EventLog<int> log;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 250; ++i) log.push(t * 1000 + i);
    });
  CHECK(log.wait_for_size(1000, 5s));
  for (auto& th : threads) th.join();
  CHECK(log.size() == 1000);
  CHECK(log.count_if([](int v) { return v % 2 == 0; }) == 500);
  CHECK(log.wait_for_count([](int v) { return v >= 3000; }, 250, 1s));
  CHECK(log.snapshot().size() == 1000);
  CHECK_FALSE(log.wait_for([](const std::vector<int>& events) { return events.size() > 1000; }, 50ms));
  log.clear();
  CHECK(log.size() == 0);
}

TEST_CASE("wait_until wakes on the condition, or reports the deadline", "[harness]") {
  std::mutex mutex;
  std::condition_variable cv;
  bool ready = false;
  std::thread setter([&] {
    std::lock_guard<std::mutex> lock(mutex);
    ready = true;
    cv.notify_all();
  });
  CHECK(wait_until(mutex, cv, [&] { return ready; }, 5s));
  setter.join();
  CHECK_FALSE(wait_until(mutex, cv, [] { return false; }, 20ms));
  Deadline deadline(0ms);
  CHECK(deadline.expired());
  CHECK(deadline.poll_timeout_ms() == 0);
}

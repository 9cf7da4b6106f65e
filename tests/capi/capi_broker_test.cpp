// The C ABI against a real Mosquitto (the CTest fixture broker): connecting, stats, and destroying
// a client from inside its own callback, from another thread while callbacks flow, and many
// times over.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "callsignal/callsignal.h"
#include "capi_support.h"
#include "support/shared_broker.h"

namespace callsignal::capi_test {
namespace {

cs_stats_t stats_of(cs_client_t* client) {
  cs_stats_t s = CS_STATS_INIT;
  cs_error_t err{};
  INFO(err.message);
  REQUIRE(cs_client_get_stats(client, &s, &err) == CS_OK);
  return s;
}

// Every callback of the event thread runs in order: once a fresh client's CONNECTED callback has
// run, whatever an earlier client had queued before it has run too (or never will).
void drain_event_thread() {
  TestOptions options(test::shared_broker_uri(), "barrier");
  Recorder recorder;
  ClientPtr client = create_client(options, recorder);
  REQUIRE(cs_client_connect(client.get(), nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED));
  client.reset();
  REQUIRE(recorder.release_count() == 1);
}

}  // namespace

TEST_CASE("broker: connect reports connecting then connected with stats and a network change reconnects", "[broker]") {
  const std::string uri = test::shared_broker_uri();
  TestOptions options(uri);
  Recorder recorder;
  ClientPtr client = create_client(options, recorder);
  CHECK(cs_client_connection_state(client.get()) == CS_CONNECTION_IDLE);

  cs_error_t err{};
  REQUIRE(cs_client_connect(client.get(), &err) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED));
  CHECK(cs_client_connection_state(client.get()) == CS_CONNECTION_CONNECTED);
  auto events = recorder.connection.snapshot();
  REQUIRE(events.size() >= 2);
  CHECK(events.front().state == CS_CONNECTION_CONNECTING);
  CHECK(events.front().broker_uri == uri);
  CHECK(events.back().state == CS_CONNECTION_CONNECTED);
  CHECK(events.back().broker_uri == uri);
  CHECK(events.back().reason == CS_OK);
  CHECK(recorder.callback_thread.load() != std::this_thread::get_id());

  CHECK(cs_client_connect(client.get(), nullptr) == CS_OK);  // idempotent
  CHECK(cs_client_app_background(client.get(), nullptr) == CS_OK);
  CHECK(cs_client_app_foreground(client.get(), nullptr) == CS_OK);

  cs_stats_t s = stats_of(client.get());
  CHECK(s.struct_size == sizeof(cs_stats_t));
  CHECK(s.reconnects == 0);
  CHECK(s.forged_dropped == 0);

  // A network change replaces the connection at once.
  REQUIRE(cs_client_network_changed(client.get(), nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED, 2));
  CHECK(stats_of(client.get()).reconnects == 1);

  REQUIRE(cs_client_disconnect(client.get(), nullptr) == CS_OK);
  CHECK(cs_client_connection_state(client.get()) == CS_CONNECTION_CLOSED);
  client.reset();
  CHECK(recorder.release_count() == 1);
  CHECK(recorder.after_release == 0);
}

// The header: cs_client_disconnect() "returns once disconnected, at most about a second". The
// bound checked is 1.5 s; destroy of a connected client does the same clean DISCONNECT. No control
// service listens on these topics, so the client's hello stays unanswered, as it would with the
// service down.
TEST_CASE("broker: disconnect returns within about a second", "[broker]") {
  TestOptions options(test::shared_broker_uri());
  Recorder recorder;
  ClientPtr client = create_client(options, recorder);
  REQUIRE(cs_client_connect(client.get(), nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED));
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(cs_client_disconnect(client.get(), nullptr) == CS_OK);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  INFO("cs_client_disconnect took " << took.count() << " ms");
  CHECK(took < 1500ms);
  CHECK(cs_client_connection_state(client.get()) == CS_CONNECTION_CLOSED);
}

TEST_CASE("connect: a refused connection reports disconnected with a reason and a retry", "[api]") {
  TestOptions options("tcp://127.0.0.1:1");  // nothing listens on port 1
  Recorder recorder;
  ClientPtr client = create_client(options, recorder);
  REQUIRE(cs_client_connect(client.get(), nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_DISCONNECTED, 2));
  for (const ConnectionRecord& r : recorder.connection.snapshot()) {
    if (r.state != CS_CONNECTION_DISCONNECTED) continue;
    INFO(r.detail);
    CHECK(r.reason != CS_OK);
    CHECK(!r.detail.empty());
  }
  CHECK(cs_client_connection_state(client.get()) != CS_CONNECTION_CONNECTED);
}

TEST_CASE("broker: destroy from inside on_connection returns and releases once after the callback", "[broker]") {
  struct Probe {
    std::atomic<bool> destroyed_in_callback{false};
    std::atomic<bool> not_released_inside{false};
  };
  static Probe* probe = nullptr;
  Probe local;
  probe = &local;
  TestOptions options(test::shared_broker_uri());
  Recorder recorder;
  recorder.connection_hook = [](Recorder& self, const cs_connection_event_t& event) {
    if (event.state != CS_CONNECTION_CONNECTED) return;
    cs_client_destroy(static_cast<cs_client_t*>(self.hook_data.load()));
    probe->destroyed_in_callback = true;
    // The release must wait for this callback to return.
    probe->not_released_inside = self.release_count() == 0;
  };
  cs_client_t* client = create_client(options, recorder).release();
  recorder.hook_data = client;
  REQUIRE(cs_client_connect(client, nullptr) == CS_OK);

  REQUIRE(recorder.released_on.wait_for_size(1, kWait));
  CHECK(local.destroyed_in_callback);
  CHECK(local.not_released_inside);
  CHECK(recorder.released_on.snapshot().at(0) == recorder.callback_thread.load());  // the event thread
  CHECK(recorder.inside == 0);

  const int callbacks = recorder.callbacks;
  drain_event_thread();
  CHECK(recorder.callbacks == callbacks);
  CHECK(recorder.after_release == 0);
  CHECK(recorder.release_count() == 1);
  probe = nullptr;
}

TEST_CASE("broker: destroy from another thread waits for the running callback", "[broker]") {
  struct Probe {
    EventLog<int> entered;         // the CONNECTED callback started
    EventLog<int> destroy_called;  // the other thread is about to call destroy
    EventLog<int> destroy_returned;
    std::atomic<bool> returned_before_callback_end{false};
  };
  static Probe* probe = nullptr;
  Probe local;
  probe = &local;
  TestOptions options(test::shared_broker_uri());
  Recorder recorder;
  recorder.connection_hook = [](Recorder&, const cs_connection_event_t& event) {
    if (event.state != CS_CONNECTION_CONNECTED) return;
    probe->entered.push(1);
    probe->destroy_called.wait_for_size(1, kWait);
    // A destroy that does not wait returns within this bound; a correct one never does, so the
    // wait runs out.
    probe->returned_before_callback_end = probe->destroy_returned.wait_for_size(1, 100ms);
  };
  cs_client_t* client = create_client(options, recorder).release();
  REQUIRE(cs_client_connect(client, nullptr) == CS_OK);
  REQUIRE(local.entered.wait_for_size(1, kWait));

  std::thread::id destroyer;
  int inside_when_returned = -1;
  std::thread other([&] {
    destroyer = std::this_thread::get_id();
    local.destroy_called.push(1);
    cs_client_destroy(client);
    local.destroy_returned.push(1);
    inside_when_returned = recorder.inside;
  });
  other.join();

  CHECK_FALSE(local.returned_before_callback_end);
  CHECK(inside_when_returned == 0);
  REQUIRE(recorder.release_count() == 1);
  CHECK(recorder.released_on.snapshot().at(0) == destroyer);
  const int callbacks = recorder.callbacks;
  drain_event_thread();
  CHECK(recorder.callbacks == callbacks);
  CHECK(recorder.after_release == 0);
  probe = nullptr;
}

TEST_CASE("broker: destroy from another thread while callbacks flow", "[broker]") {
  TestOptions options(test::shared_broker_uri());
  Recorder recorder;
  cs_client_t* client = create_client(options, recorder).release();
  REQUIRE(cs_client_connect(client, nullptr) == CS_OK);
  REQUIRE(recorder.wait_state(CS_CONNECTION_CONNECTED));

  // 200 invites: the first rings, the others are refused busy (missed calls): a stream of
  // callbacks, each a little slow, still flowing when destroy comes.
  recorder.callback_delay_us = 500;
  std::vector<std::string> frames;
  for (int i = 0; i < 200; ++i)
    frames.push_back(service_frame("invite", options.client_id(), "c-flow-" + std::to_string(i)));
  std::atomic<int> push_failures{0};
  std::thread pusher([&] {
    for (const std::string& frame : frames)
      if (cs_client_push_received(client, frame.data(), frame.size(), nullptr) != CS_OK) ++push_failures;
  });
  pusher.join();
  REQUIRE(push_failures == 0);
  REQUIRE(recorder.incoming.wait_for_size(1, kWait));
  REQUIRE(recorder.missed.wait_for_size(10, kWait));

  std::thread::id destroyer;
  int inside_when_returned = -1;
  int callbacks_when_returned = -1;
  std::thread other([&] {
    destroyer = std::this_thread::get_id();
    cs_client_destroy(client);
    inside_when_returned = recorder.inside;
    callbacks_when_returned = recorder.callbacks;
  });
  other.join();

  // Informative only: the contract does not say how soon destroy stops the queued callbacks.
  WARN("missed calls handed over before destroy returned: " << recorder.missed.size() << " of 199");
  CHECK(inside_when_returned == 0);
  REQUIRE(recorder.release_count() == 1);
  CHECK(recorder.released_on.snapshot().at(0) == destroyer);
  drain_event_thread();
  CHECK(recorder.callbacks == callbacks_when_returned);
  CHECK(recorder.after_release == 0);
}

// 1,000 clients created, connected and destroyed, on eight threads at once: ASan's leak checker
// (the address sanitizer build) sees every one of them freed, and nothing deadlocks. Every other
// cycle waits for CONNECTED (500 in all); the others are destroyed wherever their connect has got
// to, which tears down a different path. A cycle is mostly waiting (a destroy takes ~100 ms, up to
// ~1 s mid-connect): on one thread the 1,000 took 116 s on 2 cores, on eight 1-10 s.
// CALLSIGNAL_CAPI_CYCLES and CALLSIGNAL_CAPI_CYCLE_THREADS change the numbers for soak runs.
TEST_CASE("broker: 1000 create-connect-destroy cycles on eight threads", "[broker][cycles]") {
  const std::string uri = test::shared_broker_uri();
  const char* override_count = std::getenv("CALLSIGNAL_CAPI_CYCLES");
  const int cycles = override_count != nullptr ? std::atoi(override_count) : 1000;
  const char* override_threads = std::getenv("CALLSIGNAL_CAPI_CYCLE_THREADS");
  const int thread_count = override_threads != nullptr ? std::atoi(override_threads) : 8;
  constexpr int kWaitEvery = 2;
  std::atomic<int> next{0};
  std::atomic<int> connected{0};
  std::atomic<int> failures{0};
  std::atomic<long long> slowest_wait_ms{0}, slowest_destroy_ms{0};
  auto note_max = [](std::atomic<long long>& slowest, std::chrono::steady_clock::time_point since) {
    const long long ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
    long long seen = slowest;
    while (ms > seen && !slowest.compare_exchange_weak(seen, ms)) {
    }
  };
  EventLog<std::string> failure_notes;
  auto fail = [&](const std::string& what) {
    if (++failures <= 5) failure_notes.push(what);
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < cycles && failures == 0; i = next++) {
        TestOptions options(uri);
        Recorder recorder;
        cs_listener_t listener = recorder.listener();
        cs_client_t* client = nullptr;
        cs_error_t err{};
        if (cs_client_create(&options.options(), &listener, &client, &err) != CS_OK) {
          fail("create: " + std::string(err.message));
          return;
        }
        if (cs_client_connect(client, &err) != CS_OK) fail("connect: " + std::string(err.message));
        if (i % kWaitEvery == 0) {
          const auto wait_start = std::chrono::steady_clock::now();
          const bool up = recorder.wait_state(CS_CONNECTION_CONNECTED);
          note_max(slowest_wait_ms, wait_start);
          if (up) {
            ++connected;
          } else {
            fail("cycle " + std::to_string(i) + ": not connected");
          }
        }
        const auto destroy_start = std::chrono::steady_clock::now();
        cs_client_destroy(client);
        note_max(slowest_destroy_ms, destroy_start);
        if (recorder.release_count() != 1) fail("cycle " + std::to_string(i) + ": release not called once");
        if (recorder.inside != 0) fail("cycle " + std::to_string(i) + ": a callback still runs after destroy");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  for (const std::string& note : failure_notes.snapshot()) UNSCOPED_INFO(note);
  CHECK(failures == 0);
  CHECK(next >= cycles);
  CHECK(connected == (cycles + kWaitEvery - 1) / kWaitEvery);
  WARN(cycles << " cycles on " << thread_count << " threads (" << connected << " waited for CONNECTED) took "
             << elapsed.count() << " ms; slowest CONNECTED wait " << slowest_wait_ms << " ms, slowest destroy "
             << slowest_destroy_ms << " ms");
}

}  // namespace callsignal::capi_test

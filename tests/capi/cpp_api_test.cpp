// callsignal.hpp over libcallsignal.so: the RAII client, the std::function listener, sdk::Error,
// and handler exceptions that must never reach the C library.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "callsignal/callsignal.hpp"
#include "capi_support.h"
#include "support/shared_broker.h"

namespace callsignal::capi_test {
namespace {

namespace sdk = callsignal::sdk;

sdk::ClientOptions cpp_options(const std::string& uri, const std::string& user = "bob") {
  sdk::ClientOptions o;
  o.broker_uris = {uri};
  o.group_id = "GID_capi";
  o.device_id = unique_device("cpp");
  o.user_id = user;
  o.uplink_parent = "up";
  o.downlink_parent = "dl";
  o.keepalive_s = 5;
  o.connect_timeout_s = 3;
  o.backoff_initial_ms = 100;
  o.backoff_max_ms = 1000;
  return o;
}

// The listener's captured state: alive as long as some copy of the listener is.
struct Seen {
  EventLog<sdk::ConnectionEvent> connection;
  EventLog<sdk::IncomingCall> incoming;
  EventLog<sdk::CallStateEvent> states;
  EventLog<std::string> exceptions;  // "callback: what"
};

sdk::Listener recording_listener(const std::shared_ptr<Seen>& seen) {
  sdk::Listener l;
  l.on_connection = [seen](const sdk::ConnectionEvent& e) { seen->connection.push(e); };
  l.on_incoming_call = [seen](const sdk::IncomingCall& e) { seen->incoming.push(e); };
  l.on_call_state = [seen](const sdk::CallStateEvent& e) { seen->states.push(e); };
  l.on_exception = [seen](const char* callback, std::exception_ptr error) {
    std::string what = "non-standard exception";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    seen->exceptions.push(std::string(callback) + ": " + what);
  };
  return l;
}

bool wait_connection(Seen& seen, sdk::ConnectionState state, std::size_t times = 1) {
  return seen.connection.wait_for_count([state](const sdk::ConnectionEvent& e) { return e.state == state; }, times,
                                        kWait);
}

}  // namespace

TEST_CASE("cpp: a bad config throws sdk::Error naming the field and the listener is freed", "[cpp]") {
  auto seen = std::make_shared<Seen>();
  sdk::ClientOptions options = cpp_options("tcp://127.0.0.1:1");
  options.group_id.clear();
  try {
    sdk::Client client(options, recording_listener(seen));
    FAIL("no exception");
  } catch (const sdk::Error& e) {
    CHECK(e.code() == sdk::Errc::invalid_config);
    CHECK(std::string(e.what()).find("group_id") != std::string::npos);
  }
  CHECK(seen.use_count() == 1);  // the SDK's release, or the constructor, freed the listener copy

  options = cpp_options("tcp://127.0.0.1:1");
  options.user_id = "inv\xff" "alid";
  CHECK_THROWS_AS(sdk::Client(options, recording_listener(seen)), sdk::Error);
  CHECK(seen.use_count() == 1);

  CHECK(sdk::version() == CALLSIGNAL_VERSION_STRING);
  CHECK(std::string(sdk::name(sdk::CallState::active)) == "active");
  CHECK(std::string(sdk::name(sdk::Errc::invalid_argument)) == "invalid argument");
  CHECK(std::string(sdk::name(sdk::EndReason::answered_elsewhere)) == "answered_elsewhere");
}

TEST_CASE("cpp: commands throw sdk::Error with the C code and events arrive as C++ structs", "[cpp]") {
  auto seen = std::make_shared<Seen>();
  const sdk::ClientOptions options = cpp_options("tcp://127.0.0.1:1");
  {
    sdk::Client client(options, recording_listener(seen));
    CHECK(client.connection_state() == sdk::ConnectionState::idle);
    try {
      client.accept("no-such-call");
      FAIL("no exception");
    } catch (const sdk::Error& e) {
      CHECK(e.code() == sdk::Errc::unknown_call);
      CHECK(std::string(e.what()).size() > 0);
    }

    const std::string id = client.start_call({"alice"}, sdk::Media::video, "{\"topic\":\"lunch\"}");
    CHECK(!id.empty());
    CHECK(seen->states.wait_for_count(
        [&](const sdk::CallStateEvent& e) { return e.call_id == id && e.state == sdk::CallState::outgoing; }, 1,
        kWait));
    CHECK_THROWS_AS(client.start_call({"carol"}), sdk::Error);
    try {
      client.accept(id);
      FAIL("no exception");
    } catch (const sdk::Error& e) {
      CHECK(e.code() == sdk::Errc::invalid_state);
    }
    client.cancel(id);
    CHECK(seen->states.wait_for_count(
        [&](const sdk::CallStateEvent& e) {
          return e.call_id == id && e.state == sdk::CallState::ended && e.end_reason == sdk::EndReason::cancelled;
        },
        1, kWait));

    // An invite by push: the event's strings and lists are the C++ copies.
    std::string client_id = options.group_id + "@@@" + options.device_id;
    client.push_received(service_frame("invite", client_id, "c-cpp-push"));
    REQUIRE(seen->incoming.wait_for_size(1, kWait));
    sdk::IncomingCall call = seen->incoming.snapshot().at(0);
    CHECK(call.call_id == "c-cpp-push");
    CHECK(call.caller == "alice");
    CHECK(call.callees == std::vector<std::string>{"bob"});
    CHECK(call.media == sdk::Media::audio);
    CHECK_FALSE(call.waiting);
    client.reject(call.call_id);
    CHECK(seen->states.wait_for_count(
        [&](const sdk::CallStateEvent& e) {
          return e.call_id == "c-cpp-push" && e.state == sdk::CallState::ended &&
                 e.end_reason == sdk::EndReason::rejected;
        },
        1, kWait));
    sdk::Stats stats = client.stats();
    CHECK(stats.received == 1);
    CHECK(stats.delivered == 1);

    client.disconnect();
    try {
      client.connect();
      FAIL("no exception");
    } catch (const sdk::Error& e) {
      CHECK(e.code() == sdk::Errc::closed);
    }
  }
  CHECK(seen.use_count() == 1);
  CHECK(seen->exceptions.size() == 0);
}

TEST_CASE("cpp: Client is move-only and destroys its handle once", "[cpp]") {
  auto seen_a = std::make_shared<Seen>();
  auto seen_b = std::make_shared<Seen>();
  sdk::Client a(cpp_options("tcp://127.0.0.1:1"), recording_listener(seen_a));
  cs_client_t* handle = a.native_handle();
  REQUIRE(handle != nullptr);
  const long held_a = seen_a.use_count();  // ours and the client's listener copy
  REQUIRE(held_a > 1);

  sdk::Client moved(std::move(a));
  CHECK(moved.native_handle() == handle);
  CHECK(a.native_handle() == nullptr);  // a moved-from Client is empty
  CHECK(seen_a.use_count() == held_a);

  sdk::Client b(cpp_options("tcp://127.0.0.1:1"), recording_listener(seen_b));
  const long held_b = seen_b.use_count();
  moved = std::move(b);  // destroys the first client
  CHECK(seen_a.use_count() == 1);
  CHECK(seen_b.use_count() == held_b);
  moved.destroy();
  CHECK(seen_b.use_count() == 1);
  CHECK(moved.native_handle() == nullptr);
  moved.destroy();  // again: a no-op
}

TEST_CASE("cpp: create and connect and listen and destroy against a broker", "[cpp][broker]") {
  auto seen = std::make_shared<Seen>();
  const std::string uri = test::shared_broker_uri();
  {
    sdk::Client client(cpp_options(uri), recording_listener(seen));
    client.connect();
    REQUIRE(wait_connection(*seen, sdk::ConnectionState::connected));
    CHECK(client.connection_state() == sdk::ConnectionState::connected);
    auto events = seen->connection.snapshot();
    CHECK(events.front().state == sdk::ConnectionState::connecting);
    CHECK(events.back().broker_uri == uri);
    CHECK(client.stats().reconnects == 0);
    client.network_changed();
    REQUIRE(wait_connection(*seen, sdk::ConnectionState::connected, 2));
    CHECK(client.stats().reconnects == 1);
  }
  CHECK(seen.use_count() == 1);
  CHECK(seen->exceptions.size() == 0);
}

TEST_CASE("cpp: exceptions thrown by handlers never escape into the library", "[cpp][broker]") {
  auto seen = std::make_shared<Seen>();
  std::atomic<int> thrown{0};
  auto throwing_listener = [&] {
    sdk::Listener listener = recording_listener(seen);
    // Every connection event throws, alternately a std::exception and something else.
    listener.on_connection = [seen, &thrown](const sdk::ConnectionEvent& e) {
      seen->connection.push(e);
      if (++thrown % 2 == 1) throw std::runtime_error("handler failed on " + std::string(sdk::name(e.state)));
      throw 42;
    };
    // on_exception may throw too: dropped.
    auto inner = listener.on_exception;
    listener.on_exception = [inner](const char* callback, std::exception_ptr error) {
      inner(callback, error);
      throw std::logic_error("on_exception failed");
    };
    listener.on_call_state = [](const sdk::CallStateEvent&) { throw std::bad_alloc(); };
    return listener;
  };

  {
    sdk::Client client(cpp_options(test::shared_broker_uri()), throwing_listener());
    client.connect();
    REQUIRE(wait_connection(*seen, sdk::ConnectionState::connected));
    // CONNECTING threw a runtime_error, CONNECTED an int: both reached on_exception.
    REQUIRE(seen->exceptions.wait_for_size(2, kWait));
    auto exceptions = seen->exceptions.snapshot();
    CHECK(exceptions.at(0).rfind("on_connection: handler failed on ", 0) == 0);
    CHECK(exceptions.at(1) == "on_connection: non-standard exception");

    // The library goes on delivering: a reconnect, and a call's states (whose handler throws).
    client.network_changed();
    REQUIRE(wait_connection(*seen, sdk::ConnectionState::connected, 2));
    const std::string id = client.start_call({"alice"});
    REQUIRE(seen->exceptions.wait_for_count(
        [](const std::string& s) { return s.rfind("on_call_state:", 0) == 0; }, 1, kWait));
    client.cancel(id);
  }
  CHECK(seen.use_count() == 1);
}

TEST_CASE("cpp: set_log_handler installs and replaces and swallows what the handler throws", "[cpp]") {
  auto first = std::make_shared<EventLog<std::string>>();
  auto second = std::make_shared<EventLog<std::string>>();
  sdk::set_log_handler(sdk::LogLevel::debug, [first](sdk::LogLevel, std::string_view line) {
    first->push(std::string(line));
    throw std::runtime_error("log handler failed");
  });
  CHECK(first.use_count() == 2);
  {
    sdk::Client client(cpp_options("tcp://127.0.0.1:1"), sdk::Listener{});
    client.connect();
    REQUIRE(first->wait_for_size(1, kWait));
  }
  sdk::set_log_handler(sdk::LogLevel::debug, [second](sdk::LogLevel, std::string_view line) {
    second->push(std::string(line));
  });
  CHECK(first.use_count() == 1);  // the old handler was released
  sdk::set_log_handler(sdk::LogLevel::off, nullptr);
  CHECK(second.use_count() == 1);
}

}  // namespace callsignal::capi_test

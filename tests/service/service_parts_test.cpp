// The engine's parts without a broker: presence ordering (Directory) and re-sending (Dispatcher).
#include <catch2/catch.hpp>

#include "control/directory.h"
#include "control/dispatcher.h"
#include "core/envelope/decode.h"

using namespace callsignal;
using namespace callsignal::control;

TEST_CASE("service: presence: newest status wins, the will of the current connection counts") {
  Directory directory(60'000);
  const std::string dev = "g@@@phone";
  directory.hello(dev, "bob", 5, 0);
  CHECK(directory.is_online(dev));
  CHECK(directory.devices_of("bob") == std::vector<std::string>{dev});

  // Connection 1: will stamped at 1000, online at 1010; the will arrives when it dies.
  CHECK_FALSE(directory.status(dev, true, "", 1010, 0));  // already online by the hello
  CHECK(directory.status(dev, false, "", 1000, 0));       // its will: offline
  CHECK_FALSE(directory.is_online(dev));
  // Connection 2, much later: online at 200000. The old will again (a re-delivery) is stale.
  CHECK(directory.status(dev, true, "", 200'000, 0));
  CHECK_FALSE(directory.status(dev, false, "", 1000, 0));
  CHECK(directory.is_online(dev));
  // An old online (re-sent from an outbox) does not undo a newer offline.
  CHECK(directory.status(dev, false, "", 250'000, 0));
  CHECK_FALSE(directory.status(dev, true, "", 200'000, 0));
  CHECK_FALSE(directory.is_online(dev));
  // A hello proves the device online whatever its stamp.
  directory.hello(dev, "", 1, 0);
  CHECK(directory.is_online(dev));

  // A device moves to another user.
  directory.hello(dev, "carol", 2, 0);
  CHECK(directory.devices_of("bob").empty());
  CHECK(directory.user_of(dev) == "carol");
}

TEST_CASE("service: dispatcher: signed, re-sent same bytes until the addressee acks, expiry, forget") {
  struct Published {
    std::string topic, payload;
    PublishOptions options;
  };
  std::vector<Published> published;
  Publisher publisher = [&](const std::string& topic, const std::string& payload, PublishOptions options) {
    published.push_back({topic, payload, options});
    return Status::success();
  };
  Signer signer = Signer::generate("k1").value();
  Logger logger(LogLevel::off);
  Dispatcher dispatcher(publisher, signer, "svc", "dl", CodecLimits{}, 100, 1000, logger);
  auto online = [](const std::string&) { return true; };

  const std::int64_t t0 = 1'700'000'000'000;
  const std::string id = dispatcher.send("g@@@a", MessageType::keepalive, "c-1", Body(), 1'000, t0).value();
  REQUIRE(published.size() == 1);
  CHECK(published[0].topic == "dl/p2p/g@@@a");
  CHECK(published[0].options.message_expiry_s == 1);
  TrustedKeys keys;
  REQUIRE(keys.add_base64("k1", signer.public_key_base64()).ok());
  DecodeOptions options;
  options.trusted_keys = &keys;
  options.expected_recipient = "g@@@a";
  auto decoded = decode(published[0].payload, options);
  REQUIRE(decoded.ok());
  CHECK(decoded->message.id == id);
  CHECK(decoded->message.ts_ms == t0);

  dispatcher.resend_due(t0 + 50, online);
  CHECK(published.size() == 1);  // not due yet
  dispatcher.resend_due(t0 + 100, online);
  REQUIRE(published.size() == 2);
  CHECK(published[1].payload == published[0].payload);
  dispatcher.resend_due(t0 + 200, [](const std::string&) { return false; });
  CHECK(published.size() == 2);  // paused while offline
  dispatcher.resend_to("g@@@a", t0 + 210);
  CHECK(published.size() == 3);  // the device is back

  dispatcher.acknowledge("g@@@other", {id});  // only the addressee can acknowledge
  CHECK(dispatcher.pending() == 1);
  dispatcher.acknowledge("g@@@a", {id});
  CHECK(dispatcher.pending() == 0);
  CHECK(dispatcher.counters().acked == 1);

  // Unacknowledged until the ttl runs out: dropped, counted.
  dispatcher.send("g@@@a", MessageType::keepalive, "c-1", Body(), 1'000, t0);
  dispatcher.resend_due(t0 + 1'000, online);
  CHECK(dispatcher.pending() == 0);
  CHECK(dispatcher.counters().expired_unacked == 1);

  // The call ended for the device: everything of that call but the end stops.
  dispatcher.send("g@@@a", MessageType::keepalive, "c-2", Body(), 1'000, t0);
  Body end;
  end.set_string("reason", "hangup");
  dispatcher.send("g@@@a", MessageType::call_ended, "c-2", end, 1'000, t0);
  dispatcher.send("g@@@a", MessageType::keepalive, "c-3", Body(), 1'000, t0);
  dispatcher.forget_call("g@@@a", "c-2", {MessageType::call_ended});
  CHECK(dispatcher.pending() == 2);
}

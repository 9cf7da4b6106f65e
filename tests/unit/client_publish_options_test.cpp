#include <catch2/catch.hpp>

#include "core/client/publish_options.h"

using namespace callsignal;

TEST_CASE("publish options carry the remaining lifetime, rounded up to seconds", "[client]") {
  Envelope m;
  m.ts_ms = 1'000'000;
  m.ttl_ms = 30'000;
  CHECK(publish_options_for(m, 1'000'000)->message_expiry_s == 30);
  CHECK(publish_options_for(m, 1'000'001)->message_expiry_s == 30);   // 29.999 s left
  CHECK(publish_options_for(m, 1'029'001)->message_expiry_s == 1);    // 0.999 s left
  CHECK_FALSE(publish_options_for(m, 1'030'000).has_value());         // expired: do not publish
  CHECK_FALSE(publish_options_for(m, 2'000'000).has_value());
}

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "core/filter/seen_set.h"

using namespace callsignal;

namespace {

MessageId random_id(std::mt19937_64& rng) {
  MessageId id;
  for (std::size_t i = 0; i < MessageId::kBytes; i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t b = 0; b < 8; ++b) id.bytes[i + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return id;
}

// Ids that differ in one low bit: the worst case for a weak hash.
MessageId counter_id(std::uint32_t n) {
  MessageId id;
  for (std::size_t b = 0; b < 4; ++b) id.bytes[b] = static_cast<std::uint8_t>(n >> (8 * b));
  return id;
}

}  // namespace

TEST_CASE("seen set: first sighting is new, later ones are duplicates", "[filter]") {
  SeenSet set;
  CHECK(set.empty());
  CHECK(set.memory_bytes() == sizeof(SeenSet));  // nothing allocated yet
  const MessageId a = *MessageId::from_hex("0123456789abcdef0123456789abcdef");
  const MessageId b = *MessageId::from_hex("0123456789abcdef0123456789abcdee");
  CHECK_FALSE(set.contains(a));
  CHECK_FALSE(set.expiry_of(a).has_value());
  CHECK(set.check_and_insert(a, 1000));
  CHECK_FALSE(set.check_and_insert(a, 5000));  // duplicate: the first expiry stands
  CHECK(set.expiry_of(a) == 1000);
  CHECK(set.check_and_insert(b, 2000));
  CHECK(set.size() == 2);
  CHECK(set.contains(a));
  CHECK(set.contains(b));
  CHECK(set.check_and_insert(MessageId{}, INT64_MIN));  // all-zero id, lowest expiry: still an id
  CHECK(set.contains(MessageId{}));
  CHECK(set.size() == 3);
}

TEST_CASE("seen set: insert_or_extend keeps the later expiry", "[filter]") {
  SeenSet set;
  const MessageId a = *MessageId::from_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(set.insert_or_extend(a, 100));
  CHECK_FALSE(set.insert_or_extend(a, 50));
  CHECK(set.expiry_of(a) == 100);
  CHECK_FALSE(set.insert_or_extend(a, 300));
  CHECK(set.expiry_of(a) == 300);
  CHECK(set.size() == 1);
}

TEST_CASE("seen set: grows to a million ids within its memory bound", "[filter]") {
  std::mt19937_64 rng(42);
  SeenSet set;
  constexpr std::size_t kIds = 1'000'000;
  std::vector<MessageId> ids;
  ids.reserve(kIds);
  std::size_t inserted = 0;
  double worst_bytes_per_id_at_growth = 0;
  std::size_t capacity = 0;
  for (std::size_t i = 0; i < kIds; ++i) {
    ids.push_back(random_id(rng));
    inserted += set.check_and_insert(ids.back(), static_cast<std::int64_t>(i)) ? 1 : 0;
    if (set.capacity() != capacity) {
      // Just before it grew, the table was as full as it gets: that is its normal load.
      if (capacity != 0) {
        const double at_growth = static_cast<double>((capacity * 24)) / static_cast<double>(set.size() - 1);
        if (at_growth > worst_bytes_per_id_at_growth) worst_bytes_per_id_at_growth = at_growth;
      }
      capacity = set.capacity();
    }
  }
  CHECK(inserted == kIds);
  CHECK(set.size() == kIds);
  CHECK(worst_bytes_per_id_at_growth <= 32.0);
  CHECK(static_cast<double>(set.memory_bytes()) / kIds <= 64.0 + 1.0);
  std::size_t duplicates = 0;
  for (const MessageId& id : ids) duplicates += set.check_and_insert(id, 0) ? 0 : 1;
  CHECK(duplicates == kIds);
  std::size_t strangers = 0;
  for (std::size_t i = 0; i < 100'000; ++i) strangers += set.contains(random_id(rng)) ? 1 : 0;
  CHECK(strangers == 0);
  CHECK(set.expiry_of(ids[123'456]) == 123'456);
}

TEST_CASE("seen set: ids that differ in one bit spread out", "[filter]") {
  SeenSet set;
  for (std::uint32_t n = 0; n < 200'000; ++n) REQUIRE(set.check_and_insert(counter_id(n), n));
  for (std::uint32_t n = 0; n < 200'000; ++n) REQUIRE(set.contains(counter_id(n)));
  CHECK_FALSE(set.contains(counter_id(200'000)));
}

TEST_CASE("seen set: prune forgets exactly the expired ids", "[filter]") {
  std::mt19937_64 rng(1);
  SeenSet set;
  std::vector<MessageId> ids;
  for (int i = 0; i < 10'000; ++i) {
    ids.push_back(random_id(rng));
    REQUIRE(set.check_and_insert(ids.back(), i));
  }
  CHECK(set.prune(5'000) == 5'000);  // expiries 0..4999 are before 5000; 5000 itself is kept
  CHECK(set.size() == 5'000);
  for (int i = 0; i < 10'000; ++i) CHECK(set.contains(ids[static_cast<std::size_t>(i)]) == (i >= 5'000));
  CHECK(set.prune(5'000) == 0);
  // A forgotten id is new again.
  CHECK(set.check_and_insert(ids[0], 20'000));
  CHECK(set.prune(INT64_MAX) == 5'001);
  CHECK(set.empty());
}

TEST_CASE("seen set: prune shrinks a table left nearly empty, and only then", "[filter]") {
  std::mt19937_64 rng(3);
  SeenSet set;
  std::vector<MessageId> keep;
  for (int i = 0; i < 100'000; ++i) {
    const MessageId id = random_id(rng);
    const bool long_lived = i % 10'000 == 0;
    if (long_lived) keep.push_back(id);
    REQUIRE(set.check_and_insert(id, long_lived ? 1'000'000 : 10));
  }
  const std::size_t big = set.capacity();
  CHECK(set.prune(11) == 100'000 - keep.size());
  CHECK(set.capacity() < big);
  CHECK(set.capacity() >= 16);
  for (const MessageId& id : keep) CHECK(set.contains(id));
  const std::size_t small = set.capacity();
  CHECK(set.prune(11) == 0);
  CHECK(set.capacity() == small);
}

TEST_CASE("seen set: collisions, wrap-around and removal agree with a reference model", "[filter]") {
  // A small table with a fixed seed: long probe runs that wrap past the end, and removals in the
  // middle of runs, checked after every step against std::map.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    SeenSet set(seed);
    std::map<MessageId, std::int64_t> model;
    std::vector<MessageId> pool;
    for (int i = 0; i < 40; ++i) pool.push_back(random_id(rng));
    std::int64_t now = 0;
    for (int step = 0; step < 3'000; ++step) {
      const MessageId& id = pool[rng() % pool.size()];
      const auto op = rng() % 10;
      if (op < 7) {
        const std::int64_t expires = now + static_cast<std::int64_t>(rng() % 50);
        const bool fresh = model.count(id) == 0;
        REQUIRE(set.check_and_insert(id, expires) == fresh);
        if (fresh) model[id] = expires;
      } else if (op < 9) {
        now += static_cast<std::int64_t>(rng() % 10);
        std::size_t expected = 0;
        for (auto it = model.begin(); it != model.end();) {
          if (it->second < now) {
            it = model.erase(it);
            ++expected;
          } else {
            ++it;
          }
        }
        REQUIRE(set.prune(now) == expected);
      } else {
        // A sweep spread over many small calls forgets the same ids as one full sweep.
        now += static_cast<std::int64_t>(rng() % 10);
        std::size_t expected = 0;
        for (auto it = model.begin(); it != model.end();) {
          if (it->second < now) {
            it = model.erase(it);
            ++expected;
          } else {
            ++it;
          }
        }
        std::size_t removed = 0;
        for (std::size_t calls = 0; calls < 2 * set.capacity() + 2; ++calls) removed += set.prune(now, 3);
        REQUIRE(removed == expected);
      }
      REQUIRE(set.size() == model.size());
      for (const MessageId& probe : pool) {
        const auto it = model.find(probe);
        REQUIRE(set.expiry_of(probe) == (it == model.end() ? std::optional<std::int64_t>() : it->second));
      }
    }
  }
}

TEST_CASE("seen set: prune in a full 16-slot table, runs wrapping past the end", "[filter]") {
  // 12 ids in 16 slots (the most before growth): long runs, often wrapping from the last slot to
  // the first, with any subset expiring at once.
  std::mt19937_64 rng(11);
  for (std::uint64_t trial = 0; trial < 3'000; ++trial) {
    INFO("trial " << trial);
    SeenSet set(trial);
    std::map<MessageId, std::int64_t> model;
    while (model.size() < 12) {
      const MessageId id = random_id(rng);
      const auto expires = static_cast<std::int64_t>(rng() % 10);
      REQUIRE(set.check_and_insert(id, expires));
      model[id] = expires;
    }
    REQUIRE(set.capacity() == 16);
    const auto now = static_cast<std::int64_t>(rng() % 11);
    std::size_t expected = 0;
    for (const auto& [id, expires] : model) expected += expires < now ? 1 : 0;
    REQUIRE(set.prune(now) == expected);
    for (const auto& [id, expires] : model) REQUIRE(set.contains(id) == (expires >= now));
  }
}

TEST_CASE("seen set: for_each visits every id once", "[filter]") {
  std::mt19937_64 rng(9);
  SeenSet set;
  std::map<MessageId, std::int64_t> model;
  for (int i = 0; i < 1'000; ++i) {
    const MessageId id = random_id(rng);
    set.check_and_insert(id, i);
    model[id] = i;
  }
  std::map<MessageId, std::int64_t> seen;
  set.for_each([&](const MessageId& id, std::int64_t expires) { CHECK(seen.emplace(id, expires).second); });
  CHECK(seen == model);
}

TEST_CASE("seen set: reserve, clear and move", "[filter]") {
  std::mt19937_64 rng(5);
  SeenSet set;
  set.reserve(1'000);
  const std::size_t reserved = set.capacity();
  CHECK(reserved * 3 / 4 >= 1'000);
  for (int i = 0; i < 1'000; ++i) set.check_and_insert(random_id(rng), i);
  CHECK(set.capacity() == reserved);

  SeenSet moved(std::move(set));
  CHECK(moved.size() == 1'000);
  CHECK(set.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty and usable
  CHECK(set.check_and_insert(random_id(rng), 1));

  moved.clear();
  CHECK(moved.empty());
  CHECK(moved.capacity() == 0);
  CHECK(moved.prune(100) == 0);
  CHECK(moved.check_and_insert(MessageId{}, 1));
}

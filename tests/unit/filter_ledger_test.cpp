#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/common/crc32.h"
#include "core/filter/inbox_ledger.h"
#include "core/session/outbox.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kFar = 4'000'000'000'000;  // an expiry that nothing here reaches

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

// Deterministic ids: n in the first bytes, a fixed pattern after.
MessageId id_of(std::uint64_t n) {
  MessageId id;
  for (std::size_t b = 0; b < 8; ++b) id.bytes[b] = static_cast<std::uint8_t>(n >> (8 * b));
  for (std::size_t b = 8; b < 16; ++b) id.bytes[b] = static_cast<std::uint8_t>(0xA0 + b);
  return id;
}

// The n of id_of(n), for n < 2^32.
std::uint32_t index_of(const MessageId& id) {
  std::uint32_t n = 0;
  for (std::size_t b = 0; b < 4; ++b) n |= static_cast<std::uint32_t>(id.bytes[b]) << (8 * b);
  return n;
}

std::unique_ptr<InboxLedger> open_ledger(const std::string& dir, LedgerOptions options = {}) {
  Result<std::unique_ptr<InboxLedger>> ledger = InboxLedger::open(dir, options);
  INFO(ledger.status().message);
  REQUIRE(ledger.ok());
  REQUIRE(ledger.value() != nullptr);
  return std::move(ledger).value();
}

bool must_admit(InboxLedger& ledger, std::uint64_t n, const std::string& payload = "payload",
                std::int64_t expires = kFar, const std::string& topic = "down/p2p/me") {
  Result<bool> admitted = ledger.admit(id_of(n), expires, topic, payload);
  INFO(admitted.status().message);
  REQUIRE(admitted.ok());
  return admitted.value();
}

void must_deliver(InboxLedger& ledger, std::uint64_t n) {
  Status status = ledger.mark_delivered(id_of(n));
  INFO(status.message);
  REQUIRE(status.ok());
}

std::vector<MessageId> undelivered_ids(const InboxLedger& ledger) {
  std::vector<MessageId> ids;
  for (const InboxMessage& message : ledger.undelivered()) ids.push_back(message.id);
  return ids;
}

std::vector<MessageId> ids_of(std::initializer_list<std::uint64_t> ns) {
  std::vector<MessageId> ids;
  for (std::uint64_t n : ns) ids.push_back(id_of(n));
  return ids;
}

std::string framed(const std::string& body) {
  std::string record;
  const auto put32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) record += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  put32(static_cast<std::uint32_t>(body.size()));
  put32(crc32(0, body.data(), body.size()));
  return record + body;
}

}  // namespace

TEST_CASE("ledger: admit, duplicates, delivery and replay order", "[filter]") {
  TempDir dir;
  for (const std::string& where : {std::string(), dir.path()}) {
    INFO("dir '" << where << "'");
    std::unique_ptr<InboxLedger> ledger = open_ledger(where);
    CHECK(must_admit(*ledger, 1, "one"));
    CHECK(must_admit(*ledger, 2, "two"));
    CHECK(must_admit(*ledger, 3, "three"));
    CHECK_FALSE(must_admit(*ledger, 2, "two again"));  // a duplicate: nothing written or kept
    CHECK(undelivered_ids(*ledger) == ids_of({1, 2, 3}));
    must_deliver(*ledger, 2);
    CHECK(undelivered_ids(*ledger) == ids_of({1, 3}));
    CHECK_FALSE(must_admit(*ledger, 2));  // delivered ids stay remembered
    must_deliver(*ledger, 2);             // again: no effect
    must_deliver(*ledger, 99);            // unknown: no effect
    CHECK(ledger->contains(id_of(2)));
    CHECK_FALSE(ledger->contains(id_of(99)));
    const std::vector<InboxMessage> pending = ledger->undelivered();
    REQUIRE(pending.size() == 2);
    CHECK(pending[1].payload == "three");
    CHECK(pending[1].topic == "down/p2p/me");
    CHECK(pending[1].expires_at_ms == kFar);
    const LedgerStats stats = ledger->stats();
    CHECK(stats.seen_ids == 3);
    CHECK(stats.undelivered == 2);
    CHECK(stats.corrupt_records_dropped == 0);
    CHECK((stats.file_bytes > 0) == !where.empty());
  }
}

TEST_CASE("ledger: the on-disk records are as documented", "[filter]") {
  TempDir dir;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    REQUIRE(ledger->admit(id_of(0x0102), -2, "ab", "xyz").value());
    must_deliver(*ledger, 0x0102);
  }
  const std::string data = read_file(dir.file("ledger.log"));
  REQUIRE(data.size() == (8 + 33 + 2 + 3) + (8 + 17));
  const auto u = [&](std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
    return v;
  };
  CHECK(u(0, 4) == 38);                             // body length
  CHECK(u(4, 4) == crc32(0, data.data() + 8, 38));  // CRC of the body
  CHECK(u(8, 1) == 1);                              // admitted
  CHECK(data.substr(9, 16) == std::string(reinterpret_cast<const char*>(id_of(0x0102).bytes.data()), 16));
  CHECK(u(25, 8) == static_cast<std::uint64_t>(-2));  // expires_at_ms
  CHECK(u(33, 4) == 2);
  CHECK(data.substr(37, 2) == "ab");
  CHECK(u(39, 4) == 3);
  CHECK(data.substr(43, 3) == "xyz");
  CHECK(u(46, 4) == 17);  // delivered
  CHECK(u(50, 4) == crc32(0, data.data() + 54, 17));
  CHECK(u(54, 1) == 2);
  CHECK(data.substr(55, 16) == data.substr(9, 16));
}

TEST_CASE("ledger: a reopen restores remembered ids and undelivered messages", "[filter]") {
  TempDir dir;
  const std::string binary = std::string("\0\x01\xFF{\"t\":\"invite\"}\0", 19);
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    for (std::uint64_t n = 1; n <= 6; ++n) must_admit(*ledger, n, n == 4 ? binary : "p" + std::to_string(n), 1000 + static_cast<std::int64_t>(n));
    must_deliver(*ledger, 1);
    must_deliver(*ledger, 5);
  }
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(undelivered_ids(*ledger) == ids_of({2, 3, 4, 6}));
  for (std::uint64_t n = 1; n <= 6; ++n) CHECK(ledger->contains(id_of(n)));
  const std::vector<InboxMessage> pending = ledger->undelivered();
  CHECK(pending[2].payload == binary);
  CHECK(pending[2].expires_at_ms == 1004);
  CHECK_FALSE(must_admit(*ledger, 5));
  CHECK(must_admit(*ledger, 7));
  must_deliver(*ledger, 3);
  ledger.reset();
  ledger = open_ledger(dir.path());
  CHECK(undelivered_ids(*ledger) == ids_of({2, 4, 6, 7}));
  CHECK(ledger->stats().seen_ids == 7);
}

TEST_CASE("ledger: a torn last record is cut off at every byte offset", "[filter]") {
  TempDir dir;
  std::uint64_t before_last = 0;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    must_admit(*ledger, 1, "one");
    must_admit(*ledger, 2, "two");
    must_deliver(*ledger, 1);
    before_last = file_size(dir.file("ledger.log"));
    must_admit(*ledger, 3, "the last record, torn");
  }
  const std::string full = read_file(dir.file("ledger.log"));
  REQUIRE(full.size() > before_last);
  for (std::size_t cut = before_last; cut < full.size(); ++cut) {
    INFO("cut at " << cut << " of " << full.size());
    write_file(dir.file("ledger.log"), full.substr(0, cut));
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    CHECK(undelivered_ids(*ledger) == ids_of({2}));
    CHECK_FALSE(ledger->contains(id_of(3)));  // its admit never returned: not remembered
    CHECK(ledger->corrupt_records_dropped() == (cut == before_last ? 0u : 1u));
    CHECK(file_size(dir.file("ledger.log")) == before_last);
    CHECK(must_admit(*ledger, 3, "again"));
  }
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(undelivered_ids(*ledger) == ids_of({2, 3}));
}

TEST_CASE("ledger: garbage appended to a good file is dropped", "[filter]") {
  TempDir dir;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    for (std::uint64_t n = 1; n <= 5; ++n) must_admit(*ledger, n, "payload " + std::to_string(n));
  }
  const std::uint64_t good_size = file_size(dir.file("ledger.log"));
  for (unsigned seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    append_file(dir.file("ledger.log"), random_bytes(1 + seed * 37 % 300, seed));
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    CHECK(ledger->stats().undelivered == 5);
    CHECK(ledger->corrupt_records_dropped() >= 1);
    CHECK(file_size(dir.file("ledger.log")) == good_size);
  }
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(must_admit(*ledger, 6));
}

TEST_CASE("ledger: a file of garbage opens empty, with a count", "[filter]") {
  for (unsigned seed = 1; seed <= 30; ++seed) {
    INFO("seed " << seed);
    TempDir dir;
    write_file(dir.file("ledger.log"), random_bytes(seed * 97, seed));
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    CHECK(ledger->stats().seen_ids == 0);
    CHECK(ledger->undelivered().empty());
    CHECK(ledger->corrupt_records_dropped() >= 1);
    CHECK(file_size(dir.file("ledger.log")) == 0);
    CHECK(must_admit(*ledger, 1));
  }
}

TEST_CASE("ledger: an empty (truncated to zero) file opens empty without a count", "[filter]") {
  TempDir dir;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    must_admit(*ledger, 1);
  }
  write_file(dir.file("ledger.log"), "");
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(ledger->stats().seen_ids == 0);
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(must_admit(*ledger, 1));
}

TEST_CASE("ledger: a corrupt record in the middle drops it and everything after", "[filter]") {
  TempDir dir;
  std::uint64_t second_record = 0;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    must_admit(*ledger, 1);
    second_record = file_size(dir.file("ledger.log"));
    for (std::uint64_t n = 2; n <= 5; ++n) must_admit(*ledger, n);
  }
  std::string data = read_file(dir.file("ledger.log"));
  data[second_record + 8 + 3] ^= 0x10;  // a bit flip in the second record's id
  write_file(dir.file("ledger.log"), data);
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(undelivered_ids(*ledger) == ids_of({1}));
  CHECK(ledger->corrupt_records_dropped() == 4);
  CHECK(file_size(dir.file("ledger.log")) == second_record);
}

TEST_CASE("ledger: records with a valid CRC but a bad structure are corrupt", "[filter]") {
  const std::string id(16, '\x07');
  const std::string expiry(8, '\0');
  const std::vector<std::pair<const char*, std::string>> bodies = {
      {"unknown type", std::string("\x09", 1) + id},
      {"delivered too long", std::string("\x02", 1) + id + "x"},
      {"seen with a partial pair", std::string("\x03", 1) + id + expiry + id},
      {"admitted with a topic overrunning the body",
       std::string("\x01", 1) + id + expiry + std::string("\xFF\0\0\0", 4) + std::string(4, '\0')},
      {"admitted with a payload length off by one",
       std::string("\x01", 1) + id + expiry + std::string("\x01\0\0\0", 4) + "t" + std::string("\x02\0\0\0", 4) + "p"},
  };
  for (const auto& [what, body] : bodies) {
    INFO(what);
    TempDir dir;
    {
      std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
      must_admit(*ledger, 1);
    }
    const std::uint64_t good_size = file_size(dir.file("ledger.log"));
    append_file(dir.file("ledger.log"), framed(body));
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    CHECK(ledger->stats().seen_ids == 1);
    CHECK(ledger->corrupt_records_dropped() == 1);
    CHECK(file_size(dir.file("ledger.log")) == good_size);
  }
}

TEST_CASE("ledger: a seen record may carry several ids", "[filter]") {
  TempDir dir;
  std::string body("\x03", 1);
  for (std::uint64_t n = 1; n <= 3; ++n) {
    body.append(reinterpret_cast<const char*>(id_of(n).bytes.data()), 16);
    body.append(std::string("\x10\0\0\0\0\0\0\0", 8));
  }
  write_file(dir.file("ledger.log"), framed(body));
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(ledger->stats().seen_ids == 3);
  CHECK(ledger->undelivered().empty());
  CHECK_FALSE(must_admit(*ledger, 2));
  CHECK(ledger->prune(0x10) == 0);  // kept through expires_at itself
  CHECK(ledger->prune(0x11) == 3);
}

TEST_CASE("ledger: compaction keeps the live state and survives a reopen", "[filter]") {
  TempDir dir;
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  const std::string payload(200, 'p');
  for (std::uint64_t n = 1; n <= 2000; ++n) must_admit(*ledger, n, payload + std::to_string(n), 5000 + static_cast<std::int64_t>(n));
  for (std::uint64_t n = 1; n <= 1990; ++n) must_deliver(*ledger, n);
  const std::uint64_t before = file_size(dir.file("ledger.log"));
  REQUIRE(ledger->compact().ok());
  CHECK_FALSE(fs::exists(dir.file("ledger.log") + ".tmp"));
  const std::uint64_t after = file_size(dir.file("ledger.log"));
  CHECK(after < before / 5);
  // 1990 ids as seen (24 bytes each, one record), 10 messages as admitted.
  CHECK(after == 8 + 1 + 1990 * 24 + 10 * (8 + 33 + 11 + 204));
  CHECK(ledger->stats().compactions == 1);
  CHECK(ledger->stats().file_bytes == after);
  CHECK(must_admit(*ledger, 2001, "after compaction"));
  ledger.reset();

  ledger = open_ledger(dir.path());
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(ledger->stats().seen_ids == 2001);
  const std::vector<InboxMessage> pending = ledger->undelivered();
  REQUIRE(pending.size() == 11);
  CHECK(pending.front().id == id_of(1991));
  CHECK(pending.front().payload == payload + "1991");
  CHECK(pending.front().expires_at_ms == 5000 + 1991);
  CHECK(pending.back().id == id_of(2001));
  for (std::uint64_t n = 1; n <= 2001; ++n) REQUIRE(ledger->contains(id_of(n)));
  // Expiries of compacted ids survive too: pruning at 5000 + 1000 forgets ids 1..999.
  CHECK(ledger->prune(6000) == 999);
  CHECK_FALSE(ledger->contains(id_of(999)));
  CHECK(ledger->contains(id_of(1000)));
}

TEST_CASE("ledger: compaction starts by itself once dead records dominate", "[filter]") {
  TempDir dir;
  LedgerOptions options;
  options.compact_min_dead_bytes = 64 * 1024;
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path(), options);
  const std::string payload(500, 'x');
  std::uint64_t largest = 0;
  for (std::uint64_t n = 1; n <= 5000; ++n) {
    must_admit(*ledger, n, payload);
    if (n > 3) must_deliver(*ledger, n - 3);  // three in flight at any time
    largest = std::max<std::uint64_t>(largest, file_size(dir.file("ledger.log")));
  }
  CHECK(ledger->stats().compactions > 0);
  // Live: 5000 ids (~120 KB) and 3 messages; dead may add the threshold and as much again as live.
  CHECK(largest < 2 * (5000 * 24 + 3 * 600) + 64 * 1024 + 600);
  ledger.reset();
  ledger = open_ledger(dir.path(), options);
  CHECK(ledger->stats().seen_ids == 5000);
  CHECK(undelivered_ids(*ledger) == ids_of({4998, 4999, 5000}));
}

TEST_CASE("ledger: prune keeps the file bounded as time passes", "[filter]") {
  TempDir dir;
  LedgerOptions options;
  options.compact_min_dead_bytes = 16 * 1024;
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path(), options);
  constexpr std::int64_t kLifetime = 60'000;  // every id is remembered for a minute
  std::int64_t now = 1'700'000'000'000;
  std::uint64_t largest = 0;
  for (std::uint64_t n = 1; n <= 20'000; ++n) {
    now += 100;  // ten messages a second: about 600 ids alive at a time
    must_admit(*ledger, n, std::string(100, 'm'), now + kLifetime);
    must_deliver(*ledger, n);
    if (n % 50 == 0) ledger->prune(now);
    largest = std::max<std::uint64_t>(largest, file_size(dir.file("ledger.log")));
  }
  const LedgerStats stats = ledger->stats();
  CHECK(stats.seen_ids <= 650);
  CHECK(stats.compactions > 0);
  // Without pruning the file would be ~20000 * 166 bytes (3.3 MB).
  CHECK(largest < 2 * 650 * 24 + 16 * 1024 + 4096);
  CHECK(ledger->contains(id_of(20'000)));
  CHECK_FALSE(ledger->contains(id_of(1)));
}

TEST_CASE("ledger: prune drops undelivered messages that expired", "[filter]") {
  TempDir dir;
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  must_admit(*ledger, 1, "old", 100);
  must_admit(*ledger, 2, "fresh", 300);
  must_admit(*ledger, 3, "delivered", 100);
  must_deliver(*ledger, 3);
  CHECK(ledger->prune(200) == 2);
  CHECK(undelivered_ids(*ledger) == ids_of({2}));
  CHECK(ledger->stats().expired_undelivered_dropped == 1);
  REQUIRE(ledger->compact().ok());
  ledger.reset();
  ledger = open_ledger(dir.path());
  CHECK(undelivered_ids(*ledger) == ids_of({2}));
  CHECK(ledger->stats().seen_ids == 1);
}

TEST_CASE("ledger: with fsync on, records and compaction behave the same", "[filter]") {
  TempDir dir;
  LedgerOptions options;
  options.fsync = true;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path(), options);
    must_admit(*ledger, 1, "durable 1");
    must_admit(*ledger, 2, "durable 2");
    must_deliver(*ledger, 1);
    REQUIRE(ledger->compact().ok());
    must_admit(*ledger, 3, "durable 3");
  }
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path(), options);
  CHECK(undelivered_ids(*ledger) == ids_of({2, 3}));
  CHECK(ledger->contains(id_of(1)));
}

TEST_CASE("ledger: a stale compaction file is removed at open", "[filter]") {
  TempDir dir;
  {
    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    must_admit(*ledger, 1);
  }
  write_file(dir.file("ledger.log") + ".tmp", "half-written compaction");
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  CHECK(ledger->stats().undelivered == 1);
  CHECK_FALSE(fs::exists(dir.file("ledger.log") + ".tmp"));
}

TEST_CASE("ledger: unusable paths are io_errors naming the path", "[filter]") {
  TempDir dir;
  const std::string file = dir.path() + "/plain-file";
  write_file(file, "not a directory");
  // Permission tricks do not work as root: a path under a regular file fails for everyone.
  for (const std::string& bad : {file + "/sub", file + "/sub/deeper", file}) {
    INFO(bad);
    Result<std::unique_ptr<InboxLedger>> ledger = InboxLedger::open(bad);
    REQUIRE_FALSE(ledger.ok());
    CHECK(ledger.status().code == Errc::io_error);
    CHECK(ledger.status().message.find(file) != std::string::npos);
  }
  fs::create_directories(dir.path() + "/d/ledger.log");  // the log itself a directory
  Result<std::unique_ptr<InboxLedger>> ledger = InboxLedger::open(dir.path() + "/d");
  REQUIRE_FALSE(ledger.ok());
  CHECK(ledger.status().code == Errc::io_error);
  CHECK(ledger.status().message.find("ledger.log") != std::string::npos);
}

TEST_CASE("ledger: missing directories are created", "[filter]") {
  TempDir dir;
  const std::string nested = dir.path() + "/a/b/c";
  std::unique_ptr<InboxLedger> ledger = open_ledger(nested);
  must_admit(*ledger, 1);
  CHECK(fs::exists(nested + "/ledger.log"));
}

TEST_CASE("ledger: one ledger per directory, alongside the outbox", "[filter]") {
  TempDir dir;
  std::unique_ptr<InboxLedger> first = open_ledger(dir.path());
  Result<std::unique_ptr<InboxLedger>> second = InboxLedger::open(dir.path());
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code == Errc::io_error);
  CHECK(second.status().message.find(dir.path()) != std::string::npos);
  // The outbox locks the directory, the ledger its file: both live in one data dir.
  Result<std::unique_ptr<Outbox>> outbox = Outbox::open(dir.path(), {}, false);
  INFO(outbox.status().message);
  CHECK(outbox.ok());
  // The lock follows the file through a compaction.
  must_admit(*first, 1);
  REQUIRE(first->compact().ok());
  CHECK_FALSE(InboxLedger::open(dir.path()).ok());
  first.reset();
  CHECK(InboxLedger::open(dir.path()).ok());
}

TEST_CASE("ledger: oversized topics and payloads are invalid arguments", "[filter]") {
  std::unique_ptr<InboxLedger> ledger = open_ledger("");
  Result<bool> refused = ledger->admit(id_of(1), kFar, std::string(65536, 't'), "p");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code == Errc::invalid_argument);
  CHECK(refused.status().message.rfind("topic: ", 0) == 0);
  CHECK_FALSE(ledger->contains(id_of(1)));
}

TEST_CASE("ledger: a failed write remembers nothing and leaves no torn record", "[filter]") {
  TempDir dir;
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
  must_admit(*ledger, 1, "before");
  const std::uint64_t size = file_size(dir.file("ledger.log"));

  // The write stops part-way (and then fails with EFBIG): a real partial write.
  auto failed = [&] {
    FileSizeLimit limit(size + 20);
    return ledger->admit(id_of(2), kFar, "t", std::string(200, 'x'));
  }();

  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code == Errc::io_error);
  CHECK(failed.status().message.find(dir.file("ledger.log")) != std::string::npos);
  CHECK(file_size(dir.file("ledger.log")) == size);
  CHECK_FALSE(ledger->contains(id_of(2)));  // so a redelivery can still be admitted
  CHECK(must_admit(*ledger, 2, "after"));
  ledger.reset();

  ledger = open_ledger(dir.path());
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(undelivered_ids(*ledger) == ids_of({1, 2}));
  CHECK(ledger->undelivered()[1].payload == "after");
}

TEST_CASE("ledger: concurrent admits admit each id exactly once", "[filter]") {
  TempDir dir;
  LedgerOptions options;
  options.compact_min_dead_bytes = 8 * 1024;  // compactions race with admits too
  std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path(), options);
  constexpr int kThreads = 4;
  constexpr std::uint64_t kIds = 2000;
  std::atomic<std::uint64_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread offers every id (as MQTT and a push might), in its own order.
      for (std::uint64_t i = 0; i < kIds; ++i) {
        const std::uint64_t n = (t % 2 == 0) ? i : kIds - 1 - i;
        Result<bool> result = ledger->admit(id_of(n), kFar, "t", "payload");
        if (result.ok() && result.value()) {
          admitted.fetch_add(1);
          if (n % 2 == 0) (void)ledger->mark_delivered(id_of(n));
        }
        if (i % 500 == 0) (void)ledger->undelivered();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(admitted.load() == kIds);
  CHECK(ledger->stats().undelivered == kIds / 2);
  ledger.reset();
  ledger = open_ledger(dir.path(), options);
  CHECK(ledger->corrupt_records_dropped() == 0);
  CHECK(ledger->stats().seen_ids == kIds);
  CHECK(ledger->stats().undelivered == kIds / 2);
}

// ---- Kill safety ---------------------------------------------------------------------------------

namespace {

// What a child reports through the pipe, one u32 each: (index << 1) | kind.
constexpr std::uint32_t kReportAdmitted = 0;
constexpr std::uint32_t kReportDelivered = 1;

std::string kill_payload(std::uint64_t n) { return "invite #" + std::to_string(n) + std::string(150, '.'); }

// The child: replays (delivers) what the previous child left undelivered, then admits ids from
// `first` on and delivers every third one's predecessor, reporting each step after it returned.
// Never returns.
[[noreturn]] void run_child(const std::string& dir, int report_fd, std::uint32_t first) {
  LedgerOptions options;
  options.compact_min_dead_bytes = 4096;  // compact often, so kills land inside compactions too
  Result<std::unique_ptr<InboxLedger>> opened = InboxLedger::open(dir, options);
  if (!opened.ok()) ::_exit(10);
  InboxLedger& ledger = *opened.value();
  const auto report = [&](std::uint32_t index, std::uint32_t kind) {
    const std::uint32_t word = (index << 1) | kind;
    if (::write(report_fd, &word, sizeof word) != sizeof word) ::_exit(11);
  };
  for (const InboxMessage& message : ledger.undelivered()) {
    if (!ledger.mark_delivered(message.id).ok()) ::_exit(12);
    report(index_of(message.id), kReportDelivered);
  }
  for (std::uint32_t n = first; n < first + 100'000; ++n) {
    Result<bool> admitted = ledger.admit(id_of(n), kFar, "down/p2p/me", kill_payload(n));
    if (!admitted.ok() || !admitted.value()) ::_exit(13);
    report(n, kReportAdmitted);
    if (n % 3 == 0) {
      if (!ledger.mark_delivered(id_of(n - 1)).ok()) ::_exit(14);
      report(n - 1, kReportDelivered);
    }
  }
  ::_exit(0);
}

// Kills and reaps the child if a failed REQUIRE leaves the round early.
struct ChildGuard {
  pid_t pid = -1;
  ~ChildGuard() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("ledger: SIGKILL at random points loses nothing that was admitted", "[filter]") {
  TempDir dir;
  std::mt19937 rng(20240601);
  std::set<std::uint32_t> admitted;   // reported admitted, across all rounds
  std::set<std::uint32_t> delivered;  // reported delivered
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const auto first = static_cast<std::uint32_t>(round * 1'000'000 + 1);
    const std::size_t kill_after = 1 + rng() % 400;  // admits to wait for before the kill
    INFO("round " << round << ", kill after " << kill_after << " admits");
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir.path(), fds[1], first);
    }
    ChildGuard guard{pid};
    ::close(fds[1]);
    std::size_t admits_seen = 0;
    bool killed = false;
    std::uint32_t last_admitted = 0;
    std::uint32_t word = 0;
    for (;;) {
      const ssize_t n = ::read(fds[0], &word, sizeof word);
      if (n == 0) break;  // the child is gone (killed or exited) and everything it wrote is read
      if (n < 0 && errno == EINTR) continue;
      REQUIRE(n == static_cast<ssize_t>(sizeof word));
      const std::uint32_t index = word >> 1;
      if ((word & 1u) == kReportAdmitted) {
        admitted.insert(index);
        last_admitted = index;
        if (++admits_seen == kill_after && !killed) {
          REQUIRE(::kill(pid, SIGKILL) == 0);
          killed = true;
        }
      } else {
        delivered.insert(index);
      }
    }
    ::close(fds[0]);
    int wait_status = 0;
    REQUIRE(::waitpid(pid, &wait_status, 0) == pid);
    guard.pid = -1;
    INFO("child status " << wait_status);
    REQUIRE(WIFSIGNALED(wait_status));
    REQUIRE(WTERMSIG(wait_status) == SIGKILL);
    REQUIRE(admits_seen >= kill_after);

    std::unique_ptr<InboxLedger> ledger = open_ledger(dir.path());
    CHECK(ledger->corrupt_records_dropped() <= 1);  // at most the record being written
    for (std::uint32_t index : admitted) REQUIRE(ledger->contains(id_of(index)));
    // Undelivered: exactly the reported admits without a reported delivery, except that the
    // step in flight at the kill may have happened without being reported: the admit of
    // last_admitted + 1, or the delivery of last_admitted - 1.
    std::set<std::uint32_t> expected;
    for (std::uint32_t index : admitted) {
      if (delivered.count(index) == 0) expected.insert(index);
    }
    std::set<std::uint32_t> actual;
    std::uint32_t previous = 0;
    for (const InboxMessage& message : ledger->undelivered()) {
      const std::uint32_t index = index_of(message.id);
      CHECK(index > previous);  // admission order
      previous = index;
      CHECK(message.payload == kill_payload(index));
      actual.insert(index);
    }
    if (actual.count(last_admitted + 1) != 0) {
      actual.erase(last_admitted + 1);
      admitted.insert(last_admitted + 1);  // it was admitted: the next child will deliver it
    }
    if (last_admitted % 3 == 0 && expected.count(last_admitted - 1) != 0 && actual.count(last_admitted - 1) == 0) {
      expected.erase(last_admitted - 1);
      delivered.insert(last_admitted - 1);
    }
    REQUIRE(actual == expected);
  }
}

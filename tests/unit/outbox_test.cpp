#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/common/crc32.h"
#include "core/session/outbox.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::test;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Outbox> open_outbox(const std::string& dir, OutboxLimits limits = {}, bool fsync = false) {
  Result<std::unique_ptr<Outbox>> outbox = Outbox::open(dir, limits, fsync);
  INFO(outbox.status().message);
  REQUIRE(outbox.ok());
  REQUIRE(outbox.value() != nullptr);
  return std::move(outbox).value();
}

std::uint64_t must_append(Outbox& outbox, const std::string& topic, const std::string& payload,
                          std::uint32_t expiry_s = 0, bool retain = false, std::int64_t now = 1'700'000'000'000) {
  Result<std::uint64_t> seq = outbox.append(topic, payload, expiry_s, retain, now);
  INFO(seq.status().message);
  REQUIRE(seq.ok());
  return seq.value();
}

std::vector<std::uint64_t> pending_seqs(const Outbox& outbox) {
  std::vector<std::uint64_t> seqs;
  for (const auto& entry : outbox.pending(0, SIZE_MAX)) seqs.push_back(entry.seq);
  return seqs;
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

}  // namespace

TEST_CASE("outbox: append, acknowledge and pending order in memory", "[outbox]") {
  std::unique_ptr<Outbox> outbox = open_outbox("");
  CHECK(outbox->size() == 0);
  CHECK(must_append(*outbox, "t/1", "one") == 1);
  CHECK(must_append(*outbox, "t/2", "two!") == 2);
  CHECK(must_append(*outbox, "t/3", "three", 30, true, 42) == 3);
  CHECK(outbox->size() == 3);
  CHECK(outbox->bytes() == 3 + 3 + 3 + 4 + 3 + 5);

  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(outbox->pending(1, 10).size() == 2);
  CHECK(outbox->pending(0, 2).size() == 2);
  CHECK(outbox->pending(3, 10).empty());
  CHECK(outbox->pending(UINT64_MAX, 10).empty());

  std::optional<OutboxEntry> third = outbox->find(3);
  REQUIRE(third.has_value());
  CHECK(third->topic == "t/3");
  CHECK(third->payload == "three");
  CHECK(third->expiry_s == 30);
  CHECK(third->retain);
  CHECK(third->created_unix_ms == 42);

  CHECK(outbox->acknowledge(2).ok());
  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1, 3});
  CHECK_FALSE(outbox->find(2).has_value());
  CHECK(outbox->acknowledge(2).ok());   // again: no effect
  CHECK(outbox->acknowledge(99).ok());  // unknown: no effect
  CHECK(outbox->size() == 2);
  CHECK(outbox->bytes() == 3 + 3 + 3 + 5);
  CHECK(must_append(*outbox, "t/4", "") == 4);  // seqs are never reused
  CHECK(outbox->corrupt_records_dropped() == 0);
}

TEST_CASE("outbox: the on-disk record format is as documented", "[outbox]") {
  TempDir dir;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    must_append(*outbox, "ab", "xyz", 0x01020304, true, -2);
    REQUIRE(outbox->acknowledge(1).ok());
  }
  const std::string data = read_file(dir.file("outbox.log"));
  REQUIRE(data.size() == (8 + 30 + 2 + 3) + (8 + 9));
  const auto u = [&](std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
    return v;
  };
  CHECK(u(0, 4) == 35);                                // body length
  CHECK(u(4, 4) == crc32(0, data.data() + 8, 35));     // CRC over the body
  CHECK(u(8, 1) == 1);                                 // add
  CHECK(u(9, 8) == 1);                                 // seq
  CHECK(u(17, 8) == static_cast<std::uint64_t>(-2));   // created_unix_ms
  CHECK(u(25, 4) == 0x01020304);                       // expiry_s
  CHECK(u(29, 1) == 1);                                // retain
  CHECK(u(30, 4) == 2);
  CHECK(data.substr(34, 2) == "ab");
  CHECK(u(36, 4) == 3);
  CHECK(data.substr(40, 3) == "xyz");
  CHECK(u(43, 4) == 9);                                // the ack
  CHECK(u(47, 4) == crc32(0, data.data() + 51, 9));
  CHECK(u(51, 1) == 2);
  CHECK(u(52, 8) == 1);
}

TEST_CASE("outbox: reopening restores pending entries and the next seq", "[outbox]") {
  TempDir dir;
  const std::string binary = std::string("\0\x01\xFF payload\0", 12);
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    must_append(*outbox, "up/a", "first", 10, false, 1000);
    must_append(*outbox, "up/b", binary, 0, true, 2000);
    must_append(*outbox, "up/c", "third", 60, false, 3000);
    REQUIRE(outbox->acknowledge(1).ok());
  }
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(outbox->corrupt_records_dropped() == 0);
  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{2, 3});
  CHECK(outbox->bytes() == 4 + binary.size() + 4 + 5);
  std::optional<OutboxEntry> second = outbox->find(2);
  REQUIRE(second.has_value());
  CHECK(second->topic == "up/b");
  CHECK(second->payload == binary);
  CHECK(second->retain);
  CHECK(second->expiry_s == 0);
  CHECK(second->created_unix_ms == 2000);
  CHECK(must_append(*outbox, "up/d", "fourth") == 4);

  // Acknowledging the newest one must not make its seq reusable either.
  REQUIRE(outbox->acknowledge(4).ok());
  outbox.reset();
  outbox = open_outbox(dir.path());
  CHECK(must_append(*outbox, "up/e", "fifth") == 5);
}

TEST_CASE("outbox: a torn last record is cut off at every byte offset", "[outbox]") {
  TempDir dir;
  std::uint64_t before_last = 0;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    must_append(*outbox, "t/1", "one");
    must_append(*outbox, "t/2", "two");
    REQUIRE(outbox->acknowledge(1).ok());
    before_last = file_size(dir.file("outbox.log"));
    must_append(*outbox, "t/3", "the last record, torn");
  }
  const std::string full = read_file(dir.file("outbox.log"));
  REQUIRE(full.size() > before_last);
  for (std::size_t cut = before_last; cut < full.size(); ++cut) {
    INFO("cut at " << cut << " of " << full.size());
    write_file(dir.file("outbox.log"), full.substr(0, cut));
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{2});
    CHECK(outbox->find(2)->payload == "two");
    CHECK(outbox->corrupt_records_dropped() == (cut == before_last ? 0u : 1u));
    CHECK(file_size(dir.file("outbox.log")) == before_last);  // the torn part is gone from the file
    CHECK(must_append(*outbox, "t/new", "x") == 3);
  }
  // After the cut and a new append, a reopen finds a clean log.
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(outbox->corrupt_records_dropped() == 0);
  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("outbox: garbage appended to a good log is dropped", "[outbox]") {
  TempDir dir;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    for (int i = 0; i < 5; ++i) must_append(*outbox, "t", "payload " + std::to_string(i));
  }
  const std::uint64_t good_size = file_size(dir.file("outbox.log"));
  for (unsigned seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    append_file(dir.file("outbox.log"), random_bytes(1 + seed * 37 % 300, seed));
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    CHECK(outbox->size() == 5);
    CHECK(outbox->corrupt_records_dropped() >= 1);
    CHECK(file_size(dir.file("outbox.log")) == good_size);
  }
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(outbox->corrupt_records_dropped() == 0);
  CHECK(must_append(*outbox, "t", "after") == 6);
}

TEST_CASE("outbox: a file of garbage opens empty", "[outbox]") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    TempDir dir;
    write_file(dir.file("outbox.log"), random_bytes(seed * 97, seed));
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    CHECK(outbox->size() == 0);
    CHECK(outbox->corrupt_records_dropped() >= 1);
    CHECK(file_size(dir.file("outbox.log")) == 0);
    CHECK(must_append(*outbox, "t", "fresh") == 1);
  }
}

TEST_CASE("outbox: a corrupt record in the middle drops it and everything after", "[outbox]") {
  TempDir dir;
  std::uint64_t second_record = 0;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    must_append(*outbox, "t/1", "one");
    second_record = file_size(dir.file("outbox.log"));
    for (int i = 2; i <= 5; ++i) must_append(*outbox, "t/" + std::to_string(i), "more");
  }
  std::string data = read_file(dir.file("outbox.log"));
  data[second_record + 8 + 12] ^= 0x10;  // a bit flip inside the second record's body
  write_file(dir.file("outbox.log"), data);

  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1});
  CHECK(outbox->corrupt_records_dropped() == 4);  // the bad one and the three behind it
  CHECK(file_size(dir.file("outbox.log")) == second_record);
  CHECK(must_append(*outbox, "t", "x") == 2);
}

TEST_CASE("outbox: a record with a valid CRC but a bad structure is corrupt", "[outbox]") {
  TempDir dir;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    must_append(*outbox, "t", "ok");
  }
  const std::uint64_t good_size = file_size(dir.file("outbox.log"));
  // An add whose topic length overruns its body, properly framed.
  std::string body;
  body += '\x01';
  body += std::string("\x02\0\0\0\0\0\0\0", 8);     // seq 2
  body += std::string(8 + 4 + 1, '\0');               // created, expiry, retain
  body += std::string("\xFF\0\0\0", 4);               // topic length 255, but nothing follows
  body += std::string("\0\0\0\0", 4);
  std::string record;
  const auto put32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) record += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  put32(static_cast<std::uint32_t>(body.size()));
  put32(crc32(0, body.data(), body.size()));
  record += body;
  append_file(dir.file("outbox.log"), record);

  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(outbox->size() == 1);
  CHECK(outbox->corrupt_records_dropped() == 1);
  CHECK(file_size(dir.file("outbox.log")) == good_size);
}

TEST_CASE("outbox: limits refuse with outbox_full and write nothing", "[outbox]") {
  TempDir dir;
  SECTION("message count") {
    OutboxLimits limits;
    limits.max_messages = 3;
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path(), limits);
    for (int i = 0; i < 3; ++i) must_append(*outbox, "t", "p");
    const std::uint64_t size = file_size(dir.file("outbox.log"));
    Result<std::uint64_t> refused = outbox->append("t", "p", 0, false, 0);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code == Errc::outbox_full);
    CHECK(file_size(dir.file("outbox.log")) == size);
    CHECK(outbox->size() == 3);
    REQUIRE(outbox->acknowledge(1).ok());
    CHECK(must_append(*outbox, "t", "p") == 4);  // the refused append used no seq
  }
  SECTION("bytes") {
    OutboxLimits limits;
    limits.max_bytes = 100;
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path(), limits);
    must_append(*outbox, "topic", std::string(45, 'a'));  // 50 bytes
    must_append(*outbox, "topic", std::string(40, 'b'));  // 95 bytes
    const std::uint64_t size = file_size(dir.file("outbox.log"));
    Result<std::uint64_t> refused = outbox->append("topic", "abcdef", 0, false, 0);  // 106
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code == Errc::outbox_full);
    Result<std::uint64_t> huge = outbox->append("t", std::string(1000, 'x'), 0, false, 0);
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.status().code == Errc::outbox_full);
    CHECK(file_size(dir.file("outbox.log")) == size);
    CHECK(outbox->bytes() == 95);
    CHECK(must_append(*outbox, "t", "1234") == 3);  // exactly 100
    CHECK(outbox->bytes() == 100);
  }
}

TEST_CASE("outbox: a topic longer than MQTT allows is an invalid argument", "[outbox]") {
  std::unique_ptr<Outbox> outbox = open_outbox("");
  Result<std::uint64_t> refused = outbox->append(std::string(65536, 't'), "p", 0, false, 0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code == Errc::invalid_argument);
  CHECK(refused.status().message.rfind("topic: ", 0) == 0);
  CHECK(outbox->size() == 0);
}

TEST_CASE("outbox: compaction keeps pending entries and survives a reopen", "[outbox]") {
  TempDir dir;
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  for (int i = 1; i <= 1200; ++i) must_append(*outbox, "up/req", "payload " + std::to_string(i));
  const std::uint64_t full_size = file_size(dir.file("outbox.log"));
  for (std::uint64_t seq = 1; seq <= 1100; ++seq) REQUIRE(outbox->acknowledge(seq).ok());

  // Without compaction the log would be full_size plus 1100 ack records.
  CHECK(file_size(dir.file("outbox.log")) < full_size / 2);
  CHECK_FALSE(fs::exists(dir.file("outbox.log") + ".tmp"));
  CHECK(outbox->size() == 100);
  CHECK(must_append(*outbox, "up/req", "after compaction") == 1201);
  outbox.reset();

  outbox = open_outbox(dir.path());
  CHECK(outbox->corrupt_records_dropped() == 0);
  const std::vector<std::uint64_t> seqs = pending_seqs(*outbox);
  REQUIRE(seqs.size() == 101);
  CHECK(seqs.front() == 1101);
  CHECK(seqs.back() == 1201);
  CHECK(outbox->find(1150)->payload == "payload 1150");
  CHECK(must_append(*outbox, "up/req", "next") == 1202);
}

TEST_CASE("outbox: compaction with nothing pending keeps seqs unique", "[outbox]") {
  TempDir dir;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    for (int i = 1; i <= 1025; ++i) must_append(*outbox, "t", "p");
    for (std::uint64_t seq = 1; seq <= 1025; ++seq) REQUIRE(outbox->acknowledge(seq).ok());
    CHECK(outbox->size() == 0);
    CHECK(file_size(dir.file("outbox.log")) == 8 + 9);  // just the watermark
  }
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(outbox->size() == 0);
  CHECK(outbox->corrupt_records_dropped() == 0);
  CHECK(must_append(*outbox, "t", "p") == 1026);
}

TEST_CASE("outbox: with fsync on, records and compaction behave the same", "[outbox]") {
  TempDir dir;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path(), {}, true);
    must_append(*outbox, "t", "durable 1");
    must_append(*outbox, "t", "durable 2");
    REQUIRE(outbox->acknowledge(1).ok());
  }
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path(), {}, true);
  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{2});
  CHECK(outbox->find(2)->payload == "durable 2");
}

TEST_CASE("outbox: a stale compaction file is removed at open", "[outbox]") {
  TempDir dir;
  {
    std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
    must_append(*outbox, "t", "kept");
  }
  write_file(dir.file("outbox.log") + ".tmp", "half-written compaction");
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  CHECK(outbox->size() == 1);
  CHECK_FALSE(fs::exists(dir.file("outbox.log") + ".tmp"));
}

TEST_CASE("outbox: missing directories are created", "[outbox]") {
  TempDir dir;
  const std::string nested = dir.path() + "/a/b/c";
  std::unique_ptr<Outbox> outbox = open_outbox(nested);
  must_append(*outbox, "t", "p");
  CHECK(fs::exists(nested + "/outbox.log"));
}

TEST_CASE("outbox: an unusable directory is an io_error naming the path", "[outbox]") {
  TempDir dir;
  const std::string file = dir.path() + "/plain-file";
  write_file(file, "not a directory");
  // Permission tricks do not work as root: a path under a regular file fails for everyone.
  for (const std::string& bad : {file + "/sub", file + "/sub/deeper", file}) {
    INFO(bad);
    Result<std::unique_ptr<Outbox>> outbox = Outbox::open(bad, {}, false);
    REQUIRE_FALSE(outbox.ok());
    CHECK(outbox.status().code == Errc::io_error);
    CHECK(outbox.status().message.find(file) != std::string::npos);
  }
  // outbox.log itself being a directory.
  fs::create_directories(dir.path() + "/d/outbox.log");
  Result<std::unique_ptr<Outbox>> outbox = Outbox::open(dir.path() + "/d", {}, false);
  REQUIRE_FALSE(outbox.ok());
  CHECK(outbox.status().code == Errc::io_error);
}

TEST_CASE("outbox: one outbox per directory at a time", "[outbox]") {
  TempDir dir;
  std::unique_ptr<Outbox> first = open_outbox(dir.path());
  Result<std::unique_ptr<Outbox>> second = Outbox::open(dir.path(), {}, false);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code == Errc::io_error);
  CHECK(second.status().message.find(dir.path()) != std::string::npos);
  first.reset();
  CHECK(Outbox::open(dir.path(), {}, false).ok());
}

TEST_CASE("outbox: a failed write records nothing and leaves no torn record", "[outbox]") {
  TempDir dir;
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  must_append(*outbox, "t", "before");
  const std::uint64_t size = file_size(dir.file("outbox.log"));

  // The write stops part-way (and then fails with EFBIG): a real partial write.
  auto failed = [&] {
    FileSizeLimit limit(size + 20);
    return outbox->append("t", std::string(200, 'x'), 0, false, 0);
  }();

  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code == Errc::io_error);
  CHECK(failed.status().message.find(dir.file("outbox.log")) != std::string::npos);
  CHECK(file_size(dir.file("outbox.log")) == size);
  CHECK(outbox->size() == 1);
  CHECK(must_append(*outbox, "t", "after") == 2);
  outbox.reset();

  outbox = open_outbox(dir.path());
  CHECK(outbox->corrupt_records_dropped() == 0);
  CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("outbox: concurrent appends get unique seqs", "[outbox]") {
  TempDir dir;
  std::unique_ptr<Outbox> outbox = open_outbox(dir.path());
  constexpr int kThreads = 4;
  constexpr int kEach = 250;
  std::vector<std::vector<std::uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Result<std::uint64_t> seq = outbox->append("t", "p", 0, false, 0);
        if (seq.ok()) seqs[static_cast<std::size_t>(t)].push_back(seq.value());
        if (i % 2 == 0 && seq.ok()) (void)outbox->acknowledge(seq.value());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::uint64_t> all;
  for (const auto& list : seqs) all.insert(list.begin(), list.end());
  CHECK(all.size() == kThreads * kEach);
  CHECK(outbox->size() == kThreads * kEach / 2);
  outbox.reset();
  outbox = open_outbox(dir.path());
  CHECK(outbox->size() == kThreads * kEach / 2);
  CHECK(outbox->corrupt_records_dropped() == 0);
}

// Benchmarks of the dedup filter: SeenSet check+insert, InboxLedger append and load.
//   callsignal_bench_filter [--quick]
// Prints a readable table, then "RESULT <key> <value>" lines for scripts/bench.sh:
//   filter.ops_per_s         check_and_insert of random ids (90% new, 10% duplicates) into a set
//                            holding 100k ids in steady state (prune timed apart; 1k and 1M ids
//                            and the prune cost are in the table)
//   filter.bytes_per_id      memory_bytes() / size() of a set at its growth load (the normal load)
//   filter.bytes_per_id_max  the same just after a doubling (the worst point of the cycle)
//   ledger.append_per_s      admit() of ~200-byte messages, no fsync (one write() each)
//   ledger.load_100k_ms      open() of a compacted ledger remembering 100k ids (warm page cache)
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/common/crc32.h"
#include "core/filter/inbox_ledger.h"
#include "core/filter/seen_set.h"

using namespace callsignal;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<MessageId> random_ids(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<MessageId> ids(n);
  for (MessageId& id : ids) {
    const std::uint64_t a = rng();
    const std::uint64_t b = rng();
    std::memcpy(id.bytes.data(), &a, 8);
    std::memcpy(id.bytes.data() + 8, &b, 8);
  }
  return ids;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void row(const char* what, double value, const char* unit) { std::printf("| %-58s | %14.1f | %-6s |\n", what, value, unit); }

struct SteadyState {
  double ops_per_s = 0;         // check_and_insert calls per second (prune not included)
  double prune_ns_per_id = 0;   // prune time per id it removed
};

// The steady state of a filter remembering about `live` ids: a stream of check_and_insert calls,
// 9 new ids to 1 duplicate of a recent one, where each id lives for `live` calls and prune runs
// every live/2 calls (timed apart). The best of `repeats`.
SteadyState seen_set_steady(std::size_t live, std::size_t ops, int repeats) {
  const std::vector<MessageId> ids = random_ids(live + ops, 1);
  std::mt19937_64 rng(3);
  std::vector<std::uint32_t> back(ops / 10 + 1);  // how far back each duplicate reaches
  for (auto& p : back) p = static_cast<std::uint32_t>(1 + rng() % (live / 2));
  const std::size_t chunk = std::max<std::size_t>(live / 2, 1);
  SteadyState best;
  for (int r = 0; r < repeats; ++r) {
    SeenSet set(7);
    for (std::size_t i = 0; i < live; ++i) set.check_and_insert(ids[i], static_cast<std::int64_t>(i + live));
    std::size_t inserted = 0;
    std::size_t pruned = 0;
    std::size_t next = live;  // the next new id; it expires `live` new ids from now
    std::size_t next_dup = 0;
    double insert_s = 0;
    double prune_s = 0;
    for (std::size_t done = 0; done < ops;) {
      const std::size_t end = std::min(ops, done + chunk);
      const Clock::time_point start = Clock::now();
      for (std::size_t i = done; i < end; ++i) {
        if (i % 10 == 9) {
          inserted += set.check_and_insert(ids[next - back[next_dup++]], 0) ? 1 : 0;
        } else {
          inserted += set.check_and_insert(ids[next], static_cast<std::int64_t>(next + live)) ? 1 : 0;
          ++next;
        }
      }
      const Clock::time_point middle = Clock::now();
      pruned += set.prune(static_cast<std::int64_t>(next));
      insert_s += std::chrono::duration<double>(middle - start).count();
      prune_s += seconds_since(middle);
      done = end;
    }
    if (inserted != next - live) std::printf("unexpected: %zu inserted\n", inserted);
    best.ops_per_s = std::max(best.ops_per_s, static_cast<double>(ops) / insert_s);
    const double prune_ns = prune_s * 1e9 / static_cast<double>(std::max<std::size_t>(pruned, 1));
    best.prune_ns_per_id = r == 0 ? prune_ns : std::min(best.prune_ns_per_id, prune_ns);
  }
  return best;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cs-filter-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<InboxLedger> open_or_die(const std::string& dir, LedgerOptions options = {}) {
  Result<std::unique_ptr<InboxLedger>> ledger = InboxLedger::open(dir, options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "open: %s\n", ledger.status().message.c_str());
    std::exit(1);
  }
  return std::move(ledger).value();
}

void admit_or_die(InboxLedger& ledger, const MessageId& id, const std::string& payload) {
  Result<bool> admitted = ledger.admit(id, 4'000'000'000'000, "cs/down/p2p/GID_call@@@device-0001", payload);
  if (!admitted.ok() || !admitted.value()) {
    std::fprintf(stderr, "admit: %s\n", admitted.status().message.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int repeats = quick ? 3 : 7;
  std::printf("| %-58s | %14s | %-6s |\n| %s | %s | %s |\n", "measure", "value", "unit", std::string(58, '-').c_str(),
              std::string(14, '-').c_str(), "------");

  // ---- SeenSet ----
  const SteadyState s_1k = seen_set_steady(1'000, quick ? 2'000'000 : 10'000'000, repeats);
  const SteadyState s_100k = seen_set_steady(100'000, quick ? 2'000'000 : 10'000'000, repeats);
  const SteadyState s_1m = seen_set_steady(1'000'000, quick ? 2'000'000 : 10'000'000, repeats);
  row("SeenSet check+insert, 1k ids live (ops/s)", s_1k.ops_per_s, "op/s");
  row("SeenSet check+insert, 100k ids live (ops/s)", s_100k.ops_per_s, "op/s");
  row("SeenSet check+insert, 1M ids live (ops/s)", s_1m.ops_per_s, "op/s");
  row("SeenSet prune, per id removed, 1k ids live (ns)", s_1k.prune_ns_per_id, "ns");
  row("SeenSet prune, per id removed, 100k ids live (ns)", s_100k.prune_ns_per_id, "ns");
  row("SeenSet prune, per id removed, 1M ids live (ns)", s_1m.prune_ns_per_id, "ns");

  // Bytes per id over one growth cycle: at the load where it doubles, and just after.
  double at_growth = 0;
  double after_growth = 0;
  {
    const std::vector<MessageId> ids = random_ids(1 << 20, 4);
    SeenSet set(7);
    std::size_t capacity = 0;
    for (const MessageId& id : ids) {
      const std::size_t before = set.memory_bytes();
      const std::size_t size_before = set.size();
      set.check_and_insert(id, 1);
      if (set.capacity() != capacity) {
        if (capacity >= 1024) {
          at_growth = static_cast<double>(before) / static_cast<double>(size_before);
          after_growth = static_cast<double>(set.memory_bytes()) / static_cast<double>(set.size());
        }
        capacity = set.capacity();
      }
    }
    row("SeenSet bytes per id at growth load (3/4)", at_growth, "B");
    row("SeenSet bytes per id just after doubling", after_growth, "B");
    row("SeenSet bytes per id with 1,048,576 ids", static_cast<double>(set.memory_bytes()) / static_cast<double>(set.size()), "B");
  }

  // ---- Ledger append ----
  // admit() as the receive thread runs it: the app takes delivery between batches of 100 (those
  // mark_delivered calls are not timed), so the backlog stays small, as it does in use.
  const std::size_t appends = quick ? 200'000 : 1'000'000;
  const std::string payload(200, 'j');
  const std::vector<MessageId> ledger_ids = random_ids(appends, 5);
  std::vector<double> append_rates;
  std::vector<double> pair_rates;
  for (int r = 0; r < (quick ? 3 : 5); ++r) {
    TempDir dir;
    std::unique_ptr<InboxLedger> ledger = open_or_die(dir.path());
    double admit_s = 0;
    for (std::size_t done = 0; done < appends; done += 100) {
      const std::size_t end = std::min(appends, done + 100);
      const Clock::time_point start = Clock::now();
      for (std::size_t i = done; i < end; ++i) admit_or_die(*ledger, ledger_ids[i], payload);
      admit_s += seconds_since(start);
      for (std::size_t i = done; i < end; ++i) (void)ledger->mark_delivered(ledger_ids[i]);
    }
    append_rates.push_back(static_cast<double>(appends) / admit_s);
  }
  // The whole life of a message: admit, then mark_delivered (two records).
  for (int r = 0; r < (quick ? 3 : 5); ++r) {
    TempDir dir;
    std::unique_ptr<InboxLedger> ledger = open_or_die(dir.path());
    const std::size_t n = appends / 2;
    const Clock::time_point start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      admit_or_die(*ledger, ledger_ids[i], payload);
      (void)ledger->mark_delivered(ledger_ids[i]);
    }
    pair_rates.push_back(static_cast<double>(n) / seconds_since(start));
  }
  const double append_per_s = median(append_rates);
  row("InboxLedger admit, 200 B payload, no fsync (admits/s)", append_per_s, "op/s");
  row("InboxLedger admit + mark_delivered, no fsync (messages/s)", median(pair_rates), "op/s");

  // For scale: the floor set by the kernel and by the CRC, for a record of the same size.
  {
    TempDir dir;
    const std::string path = dir.path() + "/raw";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const std::string record(8 + 33 + 34 + 200, 'r');
    const Clock::time_point start = Clock::now();
    for (std::size_t i = 0; i < appends; ++i) {
      if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) std::exit(1);
    }
    row("  reference: raw write() of a 275 B record (writes/s)", static_cast<double>(appends) / seconds_since(start), "op/s");
    ::close(fd);
    std::uint32_t crc = 0;
    const std::string big(1 << 24, 'c');
    const Clock::time_point crc_start = Clock::now();
    crc = crc32(crc, big.data(), big.size());
    row("  reference: crc32 throughput (MB/s)", static_cast<double>(big.size()) / 1e6 / seconds_since(crc_start), "MB/s");
    if (crc == 1) std::printf("\n");
  }

  // ---- Ledger load ----
  // 100k ids remembered, all delivered: the state of a busy device between two prunes.
  double load_100k_ms = 0;
  {
    const std::vector<MessageId> ids = random_ids(100'000, 6);
    const std::string small(200, 'l');
    const auto time_open = [&](const std::string& dir, LedgerOptions options, std::uint64_t* bytes) {
      std::vector<double> times;
      for (int r = 0; r < (quick ? 5 : 15); ++r) {
        const Clock::time_point start = Clock::now();
        std::unique_ptr<InboxLedger> ledger = open_or_die(dir, options);
        times.push_back(seconds_since(start) * 1e3);
        if (ledger->stats().seen_ids != ids.size()) {
          std::fprintf(stderr, "load: %zu ids, expected %zu\n", ledger->stats().seen_ids, ids.size());
          std::exit(1);
        }
        *bytes = ledger->stats().file_bytes;
      }
      return median(times);
    };
    // Compacted: what the ledger holds after compaction (batched seen records).
    TempDir compacted;
    {
      std::unique_ptr<InboxLedger> ledger = open_or_die(compacted.path());
      for (const MessageId& id : ids) admit_or_die(*ledger, id, small);
      for (const MessageId& id : ids) (void)ledger->mark_delivered(id);
      if (!ledger->compact().ok()) std::exit(1);
    }
    std::uint64_t compacted_bytes = 0;
    load_100k_ms = time_open(compacted.path(), {}, &compacted_bytes);
    row("InboxLedger open, 100k ids, compacted (ms)", load_100k_ms, "ms");
    row("  file size (KB)", static_cast<double>(compacted_bytes) / 1024.0, "KB");
    // Never compacted: 100k admitted (200 B payloads) + 100k delivered records, the worst a file
    // gets if compaction kept failing (normally it stays under twice the compacted size + 1 MiB).
    TempDir raw;
    LedgerOptions never;
    never.compact_min_dead_bytes = UINT64_MAX;
    {
      std::unique_ptr<InboxLedger> ledger = open_or_die(raw.path(), never);
      for (const MessageId& id : ids) admit_or_die(*ledger, id, small);
      for (const MessageId& id : ids) (void)ledger->mark_delivered(id);
    }
    std::uint64_t raw_bytes = 0;
    const double raw_ms = time_open(raw.path(), never, &raw_bytes);
    row("InboxLedger open, 100k ids, never compacted (ms)", raw_ms, "ms");
    row("  file size (KB)", static_cast<double>(raw_bytes) / 1024.0, "KB");
  }

  std::printf("\nRESULT filter.ops_per_s %.0f\n", s_100k.ops_per_s);
  std::printf("RESULT filter.bytes_per_id %.1f\n", at_growth);
  std::printf("RESULT filter.bytes_per_id_max %.1f\n", after_growth);
  std::printf("RESULT ledger.append_per_s %.0f\n", append_per_s);
  std::printf("RESULT ledger.load_100k_ms %.2f\n", load_100k_ms);
  return 0;
}

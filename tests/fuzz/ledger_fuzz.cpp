// libFuzzer target for the inbox ledger's reader: the input becomes <tmp>/ledger.log and is opened.
// Whatever the bytes, open() must succeed (a bad tail is cut, never an error), and recovery must
// be stable: after an admit, a second open finds a clean file (nothing dropped) holding exactly
// the first open's state plus that admit. Crashes, leaks and UB are the sanitizers' to report; a
// broken property traps.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/filter/inbox_ledger.h"

using namespace callsignal;

namespace {

// One directory for the whole run (creating one per input would dominate the time), removed at
// exit. The path is never destroyed: the atexit handler runs after static destructors would.
const std::string& fuzz_dir() {
  static const std::string* const dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "cs-ledger-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) __builtin_trap();
    auto* path = new std::string(pattern);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(fuzz_dir(), ignored);
    });
    return path;
  }();
  return *dir;
}

void write_log(const std::string& path, const std::uint8_t* data, std::size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) __builtin_trap();
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n <= 0) __builtin_trap();
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

std::unique_ptr<InboxLedger> open_or_trap(LedgerOptions options) {
  Result<std::unique_ptr<InboxLedger>> ledger = InboxLedger::open(fuzz_dir(), options);
  if (!ledger.ok()) __builtin_trap();
  return std::move(ledger).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_log(fuzz_dir() + "/ledger.log", data, size);
  LedgerOptions options;
  options.compact_min_dead_bytes = 256;  // small inputs reach compaction too

  MessageId fresh;
  fresh.bytes.fill(0x5A);
  std::unique_ptr<InboxLedger> ledger = open_or_trap(options);
  const LedgerStats first = ledger->stats();
  std::vector<InboxMessage> undelivered = ledger->undelivered();
  if (undelivered.size() != first.undelivered || first.undelivered > first.seen_ids) __builtin_trap();
  Result<bool> admitted = ledger->admit(fresh, 1, "t", "fuzz");
  if (!admitted.ok()) __builtin_trap();
  if (admitted.value()) undelivered.push_back(InboxMessage{fresh, 1, "t", "fuzz"});
  ledger.reset();

  ledger = open_or_trap(options);
  const LedgerStats second = ledger->stats();
  if (second.corrupt_records_dropped != 0) __builtin_trap();
  if (second.seen_ids != first.seen_ids + (admitted.value() ? 1 : 0)) __builtin_trap();
  const std::vector<InboxMessage> again = ledger->undelivered();
  if (again.size() != undelivered.size()) __builtin_trap();
  for (std::size_t i = 0; i < again.size(); ++i) {
    if (again[i].id != undelivered[i].id || again[i].payload != undelivered[i].payload ||
        again[i].topic != undelivered[i].topic || again[i].expires_at_ms != undelivered[i].expires_at_ms) {
      __builtin_trap();
    }
  }
  ledger->prune(0);
  return 0;
}

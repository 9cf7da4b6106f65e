// SeenSet: the in-memory set of message ids the filter has seen, each remembered until its expiry
// (milliseconds on the control service's clock: expires_at = timestamp + lifetime + skew, see
// timeliness.h). It answers "is this id new?" for the dedup filter; InboxLedger keeps it durable.
//
// Layout: open addressing with linear probing over one flat array of 24-byte slots (16-byte id,
// 8-byte expiry), the capacity a power of two. The table doubles (one rehash, amortized O(1) per
// insert) when it would pass 3/4 full, so it holds between 24 / 0.75 = 32 and 64 bytes per id:
// 32 at the load where it grows. Pruning removes entries in place, moving the survivors of each
// run back along their probe paths instead of leaving tombstones, so it never lengthens probe
// chains and never forces a rehash; the table shrinks (one rehash of what is left) only when a
// completed prune sweep leaves it under 1/8 full.
//
// Hashing is keyed with a per-process random seed, so that ids chosen by a sender cannot be aimed
// at one probe chain (it is a fast keyed mix, not a cryptographic PRF: the ids it protects against
// are also refused by signatures and expiry before they pile up).
//
// Not thread-safe: the owner serialises every call (InboxLedger holds its mutex). Copying is not
// allowed (the table can be large); moving is. Growth allocates: std::bad_alloc on failure, like a
// standard container; nothing else throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "core/filter/message_id.h"

namespace callsignal {

class SeenSet {
 public:
  // An empty set; allocates nothing until the first insert.
  SeenSet();
  // With a fixed hash seed instead of the process's random one: for reproducible tests and benches.
  explicit SeenSet(std::uint64_t hash_seed);
  ~SeenSet();
  SeenSet(SeenSet&& other) noexcept;
  SeenSet& operator=(SeenSet&& other) noexcept;
  SeenSet(const SeenSet&) = delete;
  SeenSet& operator=(const SeenSet&) = delete;

  // The dedup step: true when id was not in the set (it is now, until expires_at_ms); false for a
  // duplicate, which leaves the set unchanged (the first sighting's expiry stands).
  bool check_and_insert(const MessageId& id, std::int64_t expires_at_ms);
  // Like check_and_insert, but a duplicate's expiry becomes the later of the two. For rebuilding a
  // set from a log in which an id may appear more than once.
  bool insert_or_extend(const MessageId& id, std::int64_t expires_at_ms);
  bool contains(const MessageId& id) const noexcept;
  // The expiry id is remembered until, or nullopt when it is not in the set.
  std::optional<std::int64_t> expiry_of(const MessageId& id) const noexcept;

  // Forgets the ids whose expiry is before now_ms (an id is kept through its expires_at_ms) and
  // returns how many. The default sweeps the whole table once: O(capacity), one hash per entry
  // that has to move, no allocation (except to shrink, see above). With max_slots, it examines
  // about that many slots (it finishes the run of occupied slots it is in) and the next call
  // resumes there, so an owner that must stay responsive can spread a sweep over several calls;
  // an id expiring while a sweep is under way may wait for the next sweep.
  std::size_t prune(std::int64_t now_ms, std::size_t max_slots = SIZE_MAX);

  // Makes room for ids entries without growing again. std::bad_alloc on failure.
  void reserve(std::size_t ids);
  // Forgets everything and frees the table.
  void clear() noexcept;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t capacity() const noexcept { return capacity_; }  // slots
  // Heap bytes of the table plus the object itself: memory_bytes() / size() is the cost of an id.
  std::size_t memory_bytes() const noexcept { return capacity_ * sizeof(Slot) + sizeof(*this); }

  // Calls visit(const MessageId&, std::int64_t expires_at_ms) for every id, in no particular order.
  // visit must not modify the set.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      const Slot& slot = slots_[i];
      if (slot.expires_at == kEmpty) continue;
      MessageId id;
      std::memcpy(id.bytes.data(), &slot.lo, 8);
      std::memcpy(id.bytes.data() + 8, &slot.hi, 8);
      visit(static_cast<const MessageId&>(id), slot.expires_at);
    }
  }

 private:
  struct Slot {
    std::uint64_t lo;        // id bytes 0..7, as the host loads them
    std::uint64_t hi;        // id bytes 8..15
    std::int64_t expires_at;  // kEmpty: a free slot
  };
  static_assert(sizeof(Slot) == 24, "a remembered id costs 24 bytes plus load-factor slack");
  static constexpr std::int64_t kEmpty = INT64_MIN;

  std::size_t home(std::uint64_t lo, std::uint64_t hi) const noexcept;
  // The slot holding (lo, hi), or the free slot where it would go. capacity_ must be > 0.
  std::size_t find(std::uint64_t lo, std::uint64_t hi) const noexcept;
  // Inserts at free slot `at` (from find), growing first when needed.
  void insert_at(std::size_t at, std::uint64_t lo, std::uint64_t hi, std::int64_t expires_at);
  void rehash(std::size_t new_capacity);
  // Prunes the run of occupied slots after free slot `before`; returns the free slot ending it.
  std::size_t prune_run(std::size_t before, std::int64_t now_ms, std::size_t* removed) noexcept;
  void maybe_shrink();

  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_ = 0;  // 0 or a power of two >= kMinCapacity
  std::size_t size_ = 0;
  std::size_t prune_cursor_ = 0;  // where the next prune resumes
  std::size_t swept_ = 0;         // slots the current sweep has passed: a pass ends at capacity_
  std::uint64_t seed_lo_ = 0;
  std::uint64_t seed_hi_ = 0;
};

}  // namespace callsignal

#include "core/filter/seen_set.h"

#include <chrono>
#include <random>
#include <utility>

namespace callsignal {
namespace {

constexpr std::size_t kMinCapacity = 16;

// MurmurHash3's 64-bit finalizer: every input bit affects every output bit. For seeds.
inline std::uint64_t fmix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

std::uint64_t process_seed() noexcept {
  static const std::uint64_t seed = [] {
    std::uint64_t s = 0;
    try {
      std::random_device device;
      s = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    } catch (...) {
      // No entropy source: the clock still keeps the seed unknown to a remote sender.
    }
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return fmix64(s ^ static_cast<std::uint64_t>(now) ^ reinterpret_cast<std::uintptr_t>(&s));
  }();
  return seed;
}

// The smallest power-of-two capacity that holds ids entries at a load of at most 3/4.
std::size_t capacity_for(std::size_t ids) noexcept {
  std::size_t capacity = kMinCapacity;
  while (capacity / 4 * 3 < ids) capacity *= 2;
  return capacity;
}

inline void split(const MessageId& id, std::uint64_t* lo, std::uint64_t* hi) noexcept {
  std::memcpy(lo, id.bytes.data(), 8);
  std::memcpy(hi, id.bytes.data() + 8, 8);
}

// kEmpty marks free slots: an expiry of exactly INT64_MIN is stored one millisecond later.
inline std::int64_t storable(std::int64_t expires_at) noexcept {
  return expires_at == INT64_MIN ? INT64_MIN + 1 : expires_at;
}

}  // namespace

SeenSet::SeenSet() : SeenSet(process_seed()) {}

SeenSet::SeenSet(std::uint64_t hash_seed) : seed_lo_(fmix64(hash_seed)), seed_hi_(fmix64(~hash_seed)) {}

SeenSet::~SeenSet() = default;

SeenSet::SeenSet(SeenSet&& other) noexcept
    : slots_(std::move(other.slots_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)),
      prune_cursor_(std::exchange(other.prune_cursor_, 0)),
      swept_(std::exchange(other.swept_, 0)),
      seed_lo_(other.seed_lo_),
      seed_hi_(other.seed_hi_) {}

SeenSet& SeenSet::operator=(SeenSet&& other) noexcept {
  if (this != &other) {
    slots_ = std::move(other.slots_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    prune_cursor_ = std::exchange(other.prune_cursor_, 0);
    swept_ = std::exchange(other.swept_, 0);
    seed_lo_ = other.seed_lo_;
    seed_hi_ = other.seed_hi_;
  }
  return *this;
}

std::size_t SeenSet::home(std::uint64_t lo, std::uint64_t hi) const noexcept {
  // Keyed multiplicative hashing: both halves, each xor'ed with its secret, times an odd constant
  // (in parallel), folded, and multiplied once more so that the slot bits (32 and up of the
  // product) depend on every input bit. Three multiplies: hashing is a large part of an in-cache
  // lookup, and twice as many (two rounds of fmix64) cost a third of the throughput.
  const std::uint64_t h = ((lo ^ seed_lo_) * 0x9E3779B97F4A7C15ull) ^ ((hi ^ seed_hi_) * 0xC2B2AE3D27D4EB4Full);
  return static_cast<std::size_t>(((h ^ (h >> 32)) * 0xFF51AFD7ED558CCDull) >> 32) & (capacity_ - 1);
}

std::size_t SeenSet::find(std::uint64_t lo, std::uint64_t hi) const noexcept {
  const std::size_t mask = capacity_ - 1;
  // The load stays under 3/4, so a free slot always ends the walk.
  for (std::size_t i = home(lo, hi);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.expires_at == kEmpty || (slot.lo == lo && slot.hi == hi)) return i;
  }
}

void SeenSet::insert_at(std::size_t at, std::uint64_t lo, std::uint64_t hi, std::int64_t expires_at) {
  if (size_ + 1 > capacity_ / 4 * 3) {
    rehash(capacity_ * 2);
    at = find(lo, hi);
  }
  slots_[at] = Slot{lo, hi, storable(expires_at)};
  ++size_;
}

bool SeenSet::check_and_insert(const MessageId& id, std::int64_t expires_at_ms) {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  split(id, &lo, &hi);
  if (capacity_ == 0) rehash(kMinCapacity);
  const std::size_t at = find(lo, hi);
  if (slots_[at].expires_at != kEmpty) return false;
  insert_at(at, lo, hi, expires_at_ms);
  return true;
}

bool SeenSet::insert_or_extend(const MessageId& id, std::int64_t expires_at_ms) {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  split(id, &lo, &hi);
  if (capacity_ == 0) rehash(kMinCapacity);
  const std::size_t at = find(lo, hi);
  Slot& slot = slots_[at];
  if (slot.expires_at != kEmpty) {
    if (expires_at_ms > slot.expires_at) slot.expires_at = expires_at_ms;
    return false;
  }
  insert_at(at, lo, hi, expires_at_ms);
  return true;
}

bool SeenSet::contains(const MessageId& id) const noexcept { return expiry_of(id).has_value(); }

std::optional<std::int64_t> SeenSet::expiry_of(const MessageId& id) const noexcept {
  if (size_ == 0) return std::nullopt;
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  split(id, &lo, &hi);
  const Slot& slot = slots_[find(lo, hi)];
  if (slot.expires_at == kEmpty) return std::nullopt;
  return slot.expires_at;
}

void SeenSet::rehash(std::size_t new_capacity) {
  std::unique_ptr<Slot[]> old = std::move(slots_);
  const std::size_t old_capacity = capacity_;
  slots_.reset(new Slot[new_capacity]);
  for (std::size_t i = 0; i < new_capacity; ++i) slots_[i].expires_at = kEmpty;
  capacity_ = new_capacity;
  prune_cursor_ = 0;
  swept_ = 0;
  const std::size_t mask = new_capacity - 1;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    const Slot& slot = old[i];
    if (slot.expires_at == kEmpty) continue;
    std::size_t at = home(slot.lo, slot.hi);
    while (slots_[at].expires_at != kEmpty) at = (at + 1) & mask;
    slots_[at] = slot;
  }
}

std::size_t SeenSet::prune_run(std::size_t before, std::int64_t now_ms, std::size_t* removed) noexcept {
  const std::size_t mask = capacity_ - 1;
  const std::size_t first = (before + 1) & mask;
  // Find where the run ends (its first free slot), and whether anything in it expired.
  std::size_t end = first;
  bool any_expired = false;
  for (; slots_[end].expires_at != kEmpty; end = (end + 1) & mask) {
    any_expired |= slots_[end].expires_at < now_ms;
  }
  if (!any_expired) return end;
  // One pass: expired entries leave, and every entry after the first hole moves back to the first
  // free slot on its own probe path, exactly where an insert would put it now. Entries before `at`
  // are final, and the home of the entry at `at` lies in [first, at] (nothing in the run was free
  // when it was inserted), so the probe never leaves the run. This costs one hash per entry after
  // the first removal, where backward-shift deletion walks to the end of the run for every
  // removal: O(run²) when many entries of a long run expire together, as they do in a sweep.
  bool holes = false;
  for (std::size_t at = first; at != end; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.expires_at < now_ms) {
      slot.expires_at = kEmpty;
      --size_;
      ++*removed;
      holes = true;
      continue;
    }
    if (!holes) continue;
    std::size_t to = home(slot.lo, slot.hi);
    while (to != at && slots_[to].expires_at != kEmpty) to = (to + 1) & mask;
    if (to == at) continue;
    slots_[to] = slot;
    slot.expires_at = kEmpty;
  }
  return end;
}

std::size_t SeenSet::prune(std::int64_t now_ms, std::size_t max_slots) {
  if (capacity_ == 0 || now_ms == kEmpty) return 0;  // nothing stored is before the lowest time
  const std::size_t mask = capacity_ - 1;
  // The sweep goes run by run, from free slot to free slot (the load stays under 3/4, so there are
  // free slots). A full sweep starts a new pass; a partial one resumes where the last one stopped,
  // skipping ahead to a free slot if an insert filled the one it stopped on.
  std::size_t cursor = prune_cursor_;
  if (max_slots == SIZE_MAX) {
    cursor = 0;
    swept_ = 0;
  }
  std::size_t scanned = 0;
  while (slots_[cursor].expires_at != kEmpty) {
    cursor = (cursor + 1) & mask;
    ++scanned;
  }
  swept_ += scanned;
  std::size_t removed = 0;
  while (scanned < max_slots && swept_ < capacity_) {
    const std::size_t end = prune_run(cursor, now_ms, &removed);
    const std::size_t step = (end - cursor) & mask;  // the run, and the free slot that ends it
    cursor = end;
    scanned += step;
    swept_ += step;
  }
  prune_cursor_ = cursor;
  if (swept_ >= capacity_) {
    swept_ = 0;
    maybe_shrink();
  }
  return removed;
}

void SeenSet::maybe_shrink() {
  if (capacity_ <= kMinCapacity || size_ >= capacity_ / 8) return;
  // Down to at most 3/8 full: halfway between the thresholds, so a set hovering near one of them
  // does not rehash back and forth.
  std::size_t target = kMinCapacity;
  while (target / 8 * 3 < size_) target *= 2;
  if (target < capacity_) rehash(target);
}

void SeenSet::reserve(std::size_t ids) {
  const std::size_t needed = capacity_for(ids);
  if (needed > capacity_) rehash(needed);
}

void SeenSet::clear() noexcept {
  slots_.reset();
  capacity_ = 0;
  size_ = 0;
  prune_cursor_ = 0;
  swept_ = 0;
}

}  // namespace callsignal

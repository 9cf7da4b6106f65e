// Error codes and a status value shared by every part of the core.
// The C ABI maps Errc one to one onto its public CS_E_* codes, so values are stable: append only.
#pragma once

#include <string>
#include <utility>

namespace callsignal {

enum class Errc : int {
  ok = 0,
  invalid_argument = 1,  // a function argument is malformed (names the argument)
  invalid_config = 2,    // a configuration field is missing or wrong (names the field)
  invalid_state = 3,     // the call is not allowed in the object's current state
  closed = 4,            // the object is closing or closed
  outbox_full = 5,       // the durable outbound queue reached its configured bound
  io_error = 6,          // the data dir could not be read or written
  not_connected = 7,     // the operation needs a live broker connection
  timeout = 8,           // a deadline passed
  tls_error = 9,         // TLS setup, verification or pin check failed
  auth_error = 10,       // the broker refused the credentials
  broker_error = 11,     // the broker refused or dropped the connection for another reason
  expired = 12,          // a message outlived its lifetime before it could be sent
  internal = 13,         // a bug or an unexpected library failure
  no_memory = 14,        // an allocation failed
  unknown_call = 15,     // no call with this id is known
};

// Static, never-null English text for a code.
const char* errc_name(Errc code) noexcept;

struct Status {
  Errc code = Errc::ok;
  std::string message;

  static Status success() { return {}; }
  static Status error(Errc c, std::string m) { return {c, std::move(m)}; }
  bool ok() const noexcept { return code == Errc::ok; }
};

// A value or the status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return status_.ok(); }
  const Status& status() const noexcept { return status_; }
  T& value() & { return value_; }
  T&& value() && { return std::move(value_); }
  T* operator->() { return &value_; }

 private:
  T value_{};
  Status status_;
};

}  // namespace callsignal

#include "core/common/status.h"

namespace callsignal {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "ok";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::invalid_config: return "invalid configuration";
    case Errc::invalid_state: return "not allowed in the current state";
    case Errc::closed: return "closed";
    case Errc::outbox_full: return "outbound queue full";
    case Errc::io_error: return "I/O error in the data directory";
    case Errc::not_connected: return "not connected";
    case Errc::timeout: return "timed out";
    case Errc::tls_error: return "TLS error";
    case Errc::auth_error: return "authentication refused";
    case Errc::broker_error: return "broker error";
    case Errc::expired: return "expired";
    case Errc::internal: return "internal error";
    case Errc::no_memory: return "out of memory";
    case Errc::unknown_call: return "unknown call";
  }
  return "unknown error";
}

}  // namespace callsignal

#include "core/session/broker_uri.h"

namespace callsignal {
namespace {

Status config_error(std::string_view field, std::string_view what) {
  std::string message(field);
  message += ": ";
  message += what;
  return Status::error(Errc::invalid_config, std::move(message));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A host name or IPv4 address: dot-separated non-empty labels of letters, digits, '-' and '_'.
bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_alnum(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label != 0;
}

// The contents of [...]: hex digits, ':' and '.' (IPv4-mapped forms), with at least one ':'.
bool valid_ipv6_literal(std::string_view host) {
  if (host.size() < 2 || host.size() > 45 || host.find(':') == std::string_view::npos) return false;
  for (char c : host) {
    if (!is_hex(c) && c != ':' && c != '.') return false;
  }
  return true;
}

}  // namespace

Result<BrokerAddress> parse_broker_uri(std::string_view field, std::string_view uri) {
  BrokerAddress address;
  if (uri.empty()) return config_error(field, "must not be empty");
  const std::size_t scheme_end = uri.find("://");
  const std::string_view scheme = scheme_end == std::string_view::npos ? std::string_view() : uri.substr(0, scheme_end);
  if (scheme == "tcp" || scheme == "mqtt") {
    address.tls = false;
  } else if (scheme == "ssl" || scheme == "mqtts") {
    address.tls = true;
  } else {
    return config_error(field, "scheme must be tcp://, mqtt://, ssl:// or mqtts://");
  }
  const std::string_view rest = uri.substr(scheme_end + 3);
  for (char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return config_error(field, "must not contain spaces or control characters");
  }
  if (rest.find('@') != std::string_view::npos) {
    return config_error(field, "must not contain user info: put credentials in auth");
  }
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return config_error(field, "must be scheme://host:port, without a path");
  }

  std::string_view host;
  std::string_view after_host;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return config_error(field, "IPv6 address lacks its closing ']'");
    host = rest.substr(1, close - 1);
    if (!valid_ipv6_literal(host)) return config_error(field, "invalid IPv6 address in brackets");
    after_host = rest.substr(close + 1);
  } else {
    const std::size_t colon = rest.rfind(':');
    host = rest.substr(0, colon == std::string_view::npos ? rest.size() : colon);
    after_host = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
    if (host.empty()) return config_error(field, "host must not be empty");
    if (host.find(':') != std::string_view::npos) {
      return config_error(field, "an IPv6 address must be in brackets: scheme://[addr]:port");
    }
    if (!valid_host_name(host)) {
      return config_error(field, "invalid host (letters, digits, '-', '_' and non-empty '.'-separated labels)");
    }
  }
  if (after_host.empty() || after_host.front() != ':') {
    return config_error(field, "must have a port: scheme://host:port");
  }
  const std::string_view port = after_host.substr(1);
  if (port.empty() || port.size() > 5) return config_error(field, "port must be in 1..65535");
  unsigned long value = 0;
  for (char c : port) {
    if (!is_digit(c)) return config_error(field, "port must be in 1..65535");
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value < 1 || value > 65535) return config_error(field, "port must be in 1..65535");
  address.host = std::string(host);
  address.port = static_cast<int>(value);
  return address;
}

}  // namespace callsignal

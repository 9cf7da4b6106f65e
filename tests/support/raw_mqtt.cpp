#include "support/raw_mqtt.h"

#include <stdexcept>

#include "support/loopback.h"
#include "support/wait.h"

namespace callsignal::test::raw_mqtt {
namespace {

void put_u16(std::string* out, std::uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void put_string(std::string* out, const std::string& s) {
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  *out += s;
}

std::uint16_t get_u16(const std::string& s, std::size_t at) {
  if (at + 2 > s.size()) throw std::runtime_error("raw_mqtt: packet too short");
  return static_cast<std::uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
}

// Fixed header (type, flags, variable-length remaining length) + body.
std::string frame(std::uint8_t type, std::uint8_t flags, const std::string& body) {
  std::string out(1, static_cast<char>((type << 4) | flags));
  std::size_t length = body.size();
  do {
    auto digit = static_cast<std::uint8_t>(length % 128);
    length /= 128;
    if (length > 0) digit |= 0x80;
    out.push_back(static_cast<char>(digit));
  } while (length > 0);
  return out + body;
}

}  // namespace

std::string connect_packet(const std::string& client_id, bool clean_session, std::uint16_t keepalive_s) {
  std::string body;
  put_string(&body, "MQTT");
  body.push_back(4);  // protocol level: 3.1.1
  body.push_back(clean_session ? 0x02 : 0x00);
  put_u16(&body, keepalive_s);
  put_string(&body, client_id);
  return frame(1, 0, body);
}

std::string subscribe_packet(std::uint16_t packet_id, const std::string& topic, int qos) {
  std::string body;
  put_u16(&body, packet_id);
  put_string(&body, topic);
  body.push_back(static_cast<char>(qos));
  return frame(8, 2, body);
}

std::string publish_packet(const std::string& topic, const std::string& payload, int qos, std::uint16_t packet_id) {
  std::string body;
  put_string(&body, topic);
  if (qos > 0) put_u16(&body, packet_id);
  body += payload;
  return frame(3, static_cast<std::uint8_t>(qos << 1), body);
}

std::string puback_packet(std::uint16_t packet_id) {
  std::string body;
  put_u16(&body, packet_id);
  return frame(4, 0, body);
}

std::string pingreq_packet() { return frame(12, 0, {}); }
std::string disconnect_packet() { return frame(14, 0, {}); }

Packet read_packet(int fd, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  auto first = static_cast<unsigned char>(read_exact(fd, 1, deadline.remaining())[0]);
  std::size_t length = 0;
  std::size_t multiplier = 1;
  for (int i = 0;; ++i) {
    if (i == 4) throw std::runtime_error("raw_mqtt: malformed remaining length");
    auto digit = static_cast<unsigned char>(read_exact(fd, 1, deadline.remaining())[0]);
    length += (digit & 0x7fu) * multiplier;
    multiplier *= 128;
    if ((digit & 0x80u) == 0) break;
  }
  Packet packet;
  packet.type = static_cast<std::uint8_t>(first >> 4);
  packet.flags = static_cast<std::uint8_t>(first & 0x0f);
  if (length > 0) packet.body = read_exact(fd, length, deadline.remaining());
  return packet;
}

Publish parse_publish(const Packet& packet) {
  if (packet.type != kPublish)
    throw std::runtime_error("raw_mqtt: expected PUBLISH, got packet type " + std::to_string(packet.type));
  Publish p;
  p.qos = (packet.flags >> 1) & 0x03;
  std::uint16_t topic_len = get_u16(packet.body, 0);
  std::size_t at = 2 + topic_len;
  if (at > packet.body.size()) throw std::runtime_error("raw_mqtt: PUBLISH topic past the end");
  p.topic = packet.body.substr(2, topic_len);
  if (p.qos > 0) {
    p.packet_id = get_u16(packet.body, at);
    at += 2;
  }
  p.payload = packet.body.substr(at);
  return p;
}

bool connack_accepted(const Packet& packet) {
  return packet.type == kConnack && packet.body.size() == 2 && packet.body[1] == 0;
}

bool connack_session_present(const Packet& packet) {
  return packet.type == kConnack && packet.body.size() == 2 && (packet.body[0] & 0x01) != 0;
}

}  // namespace callsignal::test::raw_mqtt

// Minimal MQTT 3.1.1 packets built and read by hand, for tests that check a broker or a proxy
// at the byte level without an MQTT client library in the way.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace callsignal::test::raw_mqtt {

enum PacketType : std::uint8_t {
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kSuback = 9,
  kPingresp = 13,
};

std::string connect_packet(const std::string& client_id, bool clean_session, std::uint16_t keepalive_s = 60);
std::string subscribe_packet(std::uint16_t packet_id, const std::string& topic, int qos);
// qos 0 ignores packet_id.
std::string publish_packet(const std::string& topic, const std::string& payload, int qos,
                           std::uint16_t packet_id = 0);
std::string puback_packet(std::uint16_t packet_id);
std::string pingreq_packet();
std::string disconnect_packet();

struct Packet {
  std::uint8_t type = 0;   // PacketType
  std::uint8_t flags = 0;  // low nibble of the first byte
  std::string body;        // variable header and payload
};

// Reads one whole packet. Throws std::runtime_error on timeout, close or a malformed length.
Packet read_packet(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(5));

struct Publish {
  std::string topic;
  std::string payload;
  int qos = 0;
  std::uint16_t packet_id = 0;
};
// Throws if the packet is not a PUBLISH.
Publish parse_publish(const Packet& packet);

// CONNACK body: byte 0 bit 0 = session present, byte 1 = return code (0 = accepted).
bool connack_accepted(const Packet& packet);
bool connack_session_present(const Packet& packet);

}  // namespace callsignal::test::raw_mqtt

// `stillroom broker-config`: the broker's users and ACLs for a clinic, written from the
// clinic's and the rooms' own configuration so that MQTT trusts no one it should not:
// each room publishes only under its own base topic (and its lights, cues and Home
// Assistant discovery) and reads only its own commands; the overview reads the rooms and
// sends library files; Zigbee2MQTT has its own tree only; anonymous clients are refused.
// Written for mosquitto (password_file in its PBKDF2-SHA512 "$7$" format, acl_file,
// a config snippet) and for RabbitMQ (rabbitmqctl commands: vhost, users, permissions,
// topic permissions on amq.topic, and the rabbitmq.conf lines). Pure: no I/O here.
#pragma once

#include "clinic/clinic_config.hpp"
#include "library/library.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace stillroom {

enum class TopicAccess { Read, Write, ReadWrite };

struct BrokerUser {
    std::string user;
    std::string password;
    std::string client_id; // empty: any (RabbitMQ's queue names need it)
    std::string role;      // "room room-1", "overview", "zigbee2mqtt", "homeassistant"
    std::vector<std::pair<TopicAccess, std::string>> topics; // MQTT topic filters
};

struct BrokerPlan {
    std::vector<BrokerUser> users;
    std::string vhost = "stillroom"; // RabbitMQ
};

// Passwords are filled in by the caller (they live in files). Problems name the file and
// field: a room without mqtt or mqtt.username, two rooms with one username or base topic.
BrokerPlan broker_plan(const ClinicConfig& clinic, const std::vector<Library>& rooms,
                       Problems& problems);

// mosquitto's "$7$" hash: PBKDF2-HMAC-SHA512, `iterations` (mosquitto_passwd: 101), the
// salt and the 64-byte digest in base64 ("$7$101$SALT$HASH").
std::string mosquitto_password_hash(const std::string& password, const std::string& salt,
                                    int iterations = 101);
// "user:$7$..." lines, each with a fresh 12-byte random salt.
std::string mosquitto_password_file(const BrokerPlan& plan);
std::string mosquitto_acl_file(const BrokerPlan& plan);
// Lines for mosquitto.conf: anonymous off, the two files (absolute paths given).
std::string mosquitto_conf_snippet(const std::string& password_file, const std::string& acl_file);

// An MQTT topic filter as the regular expression RabbitMQ's topic permissions match against
// routing keys ('/' becomes '.'; '+' one level, '#' the rest; a subscription's own
// wildcards, '*' and '#', are accepted where the filter has them).
std::string rabbitmq_topic_regex(const std::vector<std::string>& filters);
// A POSIX shell script of rabbitmqctl commands ($RABBITMQCTL, default rabbitmqctl).
std::string rabbitmq_script(const BrokerPlan& plan);
// rabbitmq.conf lines: anonymous off, MQTT clients in the plan's vhost.
std::string rabbitmq_conf_snippet(const BrokerPlan& plan);

} // namespace stillroom

// The broker's users and ACLs for a clinic.
#include "clinic/broker_config.hpp"

#include "control/ha_discovery.hpp"
#include "devices/light_dialects.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace stillroom {

namespace {

using Topics = std::vector<std::pair<TopicAccess, std::string>>;

void add(Topics& t, TopicAccess a, const std::string& topic) {
    if (topic.empty()) return;
    for (auto& [access, existing] : t)
        if (existing == topic) {
            if (access != a) access = TopicAccess::ReadWrite;
            return;
        }
    t.emplace_back(a, topic);
}

// Every topic a light's commands go to, in its dialect: one of each kind of change.
std::set<std::string> light_command_topics(const LightConfig& light) {
    std::set<std::string> topics;
    std::vector<LightState> states = {{false, 0, std::nullopt, std::nullopt},
                                      {true, 0.5, std::nullopt, std::nullopt}};
    if (light.kelvin) states.push_back({true, 0.5, 2700.0, std::nullopt});
    if (light.color) states.push_back({true, 0.5, std::nullopt, Chromaticity{0.5, 0.4}});
    for (const auto& s : states)
        for (const Ms transition : {Ms{0}, Ms{5000}})
            for (const auto& m : encode_light(light, s, transition))
                topics.insert(m.topic);
    return topics;
}

std::string first_level(const std::string& topic) {
    return topic.substr(0, topic.find('/'));
}

const char* access_word(TopicAccess a) {
    switch (a) {
    case TopicAccess::Read:
        return "read";
    case TopicAccess::Write:
        return "write";
    case TopicAccess::ReadWrite:
        return "readwrite";
    }
    return "read";
}

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

// Single-quoted for a POSIX shell.
std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string regex_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (std::string(".^$|()[]{}*+?\\").find(c) != std::string::npos) out += '\\';
        out += c;
    }
    return out;
}

} // namespace

BrokerPlan broker_plan(const ClinicConfig& clinic, const std::vector<Library>& rooms,
                       Problems& problems) {
    BrokerPlan plan;
    std::map<std::string, std::string> users, bases; // -> the room.json that has it
    std::set<std::string> z2m_trees;
    std::vector<std::string> ha_bases;
    for (const auto& lib : rooms) {
        const std::string file = (lib.dir / "room.json").string();
        const RoomConfig& rc = lib.room;
        if (!rc.mqtt) {
            problems.error(file + ": mqtt", "expected an mqtt section (the room's broker login)");
            continue;
        }
        const MqttConfig& m = *rc.mqtt;
        if (m.username.empty()) {
            problems.error(file + ": mqtt.username",
                           "expected the room's own broker user (every room logs in)");
            continue;
        }
        if (auto [it, fresh] = users.emplace(m.username, file); !fresh)
            problems.error(file + ": mqtt.username",
                           "\"" + m.username + "\" is also the user of " + it->second);
        if (auto [it, fresh] = bases.emplace(m.base_topic, file); !fresh)
            problems.error(file + ": mqtt.base_topic",
                           "\"" + m.base_topic + "\" is also the base topic of " + it->second);
        BrokerUser u{m.username, "", m.client_id, "room " + rc.room, {}};
        add(u.topics, TopicAccess::ReadWrite, m.base_topic + "/#");    // its own tree, commands in
        add(u.topics, TopicAccess::Read, "stillroom-clinic/+/status"); // overviews announcing
        if (m.homeassistant) {
            ha_bases.push_back(m.base_topic);
            add(u.topics, TopicAccess::Read, "homeassistant/status");
            HaDiscoveryOptions ho{m.base_topic, rc.room, rc.name, {}, "", ""};
            for (const auto& [id, t] : lib.templates)
                ho.templates.emplace_back(id, t.name);
            for (const auto& msg : ha_discovery_messages(ho))
                add(u.topics, TopicAccess::ReadWrite, msg.topic);
            for (const auto& t : ha_retired_config_topics(ho))
                add(u.topics, TopicAccess::ReadWrite, t); // read to check, write to clear
        }
        for (const auto& light : rc.lights) {
            if (light.dialect == Dialect::Simulated) continue;
            for (const auto& t : light_command_topics(light))
                add(u.topics, TopicAccess::Write, t);
            add(u.topics, TopicAccess::Read, availability_topic(light));
            if (light.dialect == Dialect::Zigbee2Mqtt) z2m_trees.insert(first_level(light.topic));
        }
        for (const auto& [id, t] : lib.templates)
            for (const auto& cue : t.cues)
                if (cue.mqtt) add(u.topics, TopicAccess::Write, cue.mqtt->topic);
        plan.users.push_back(std::move(u));
    }
    if (clinic.mqtt.username.empty()) {
        problems.error("clinic.json: mqtt.username",
                       "expected the overview's own broker user (every client logs in)");
    } else {
        if (auto [it, fresh] = users.emplace(clinic.mqtt.username, "clinic.json"); !fresh)
            problems.error("clinic.json: mqtt.username",
                           "\"" + clinic.mqtt.username + "\" is also the user of " + it->second);
        BrokerUser o{clinic.mqtt.username, "", clinic.mqtt.client_id, "overview", {}};
        for (const char* leaf : {"status", "state", "result", "heartbeat"})
            add(o.topics, TopicAccess::Read, clinic.rooms_topic + "/" + leaf);
        add(o.topics, TopicAccess::Write, clinic.rooms_topic + "/cmd/library");
        add(o.topics, TopicAccess::ReadWrite, "stillroom-clinic/" + clinic.clinic + "/status");
        // Its liveness probe (devices/mqtt_client.hpp: a frozen broker, noticed in seconds).
        add(o.topics, TopicAccess::ReadWrite, "stillroom-clinic/" + clinic.clinic + "/probe");
        plan.users.push_back(std::move(o));
    }
    if (!z2m_trees.empty()) {
        BrokerUser z{"zigbee2mqtt", "", "", "zigbee2mqtt", {}};
        for (const auto& tree : z2m_trees)
            add(z.topics, TopicAccess::ReadWrite, tree + "/#");
        plan.users.push_back(std::move(z));
    }
    if (!ha_bases.empty()) {
        BrokerUser h{"homeassistant", "", "", "homeassistant", {}};
        add(h.topics, TopicAccess::ReadWrite, "homeassistant/#");
        for (const auto& base : ha_bases) {
            add(h.topics, TopicAccess::Read, base + "/#");
            add(h.topics, TopicAccess::Write, base + "/cmd/+");
            add(h.topics, TopicAccess::Write, base + "/ha/#");
        }
        plan.users.push_back(std::move(h));
    }
    return plan;
}

std::string mosquitto_password_hash(const std::string& password, const std::string& salt,
                                    int iterations) {
    unsigned char digest[64];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, EVP_sha512(), sizeof digest,
                      digest);
    return "$7$" + std::to_string(iterations) + "$" +
           base64(reinterpret_cast<const unsigned char*>(salt.data()), salt.size()) + "$" +
           base64(digest, sizeof digest);
}

std::string mosquitto_password_file(const BrokerPlan& plan) {
    std::string out;
    for (const auto& u : plan.users) {
        std::string salt(12, '\0');
        RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
        out += u.user + ":" + mosquitto_password_hash(u.password, salt) + "\n";
    }
    return out;
}

std::string mosquitto_acl_file(const BrokerPlan& plan) {
    std::ostringstream out;
    out << "# Written by `stillroom broker-config`: each user only its own topics. No line\n"
           "# before the first `user` line: anonymous clients (refused anyway) get nothing.\n";
    for (const auto& u : plan.users) {
        out << "\n# " << u.role << "\nuser " << u.user << "\n";
        for (const auto& [access, topic] : u.topics)
            out << "topic " << access_word(access) << " " << topic << "\n";
    }
    return out.str();
}

std::string mosquitto_conf_snippet(const std::string& password_file, const std::string& acl_file) {
    return "# Stillroom: logins required, each user limited to its own topics.\n"
           "allow_anonymous false\n"
           "set_tcp_nodelay true\n"
           "password_file " +
           password_file + "\nacl_file " + acl_file + "\n";
}

std::string rabbitmq_topic_regex(const std::vector<std::string>& filters) {
    std::vector<std::string> alternatives;
    for (const auto& f : filters) {
        std::string re;
        std::size_t start = 0;
        bool first = true;
        for (;;) {
            const std::size_t slash = f.find('/', start);
            const std::string level = f.substr(start, slash - start);
            if (level == "#") {
                // The rest: nothing more, or any further levels (a '#' binding included).
                re += first ? ".*" : "(\\..*)?";
                break;
            }
            if (!first) re += "\\.";
            re += level == "+" ? "[^.]+" : regex_escape(level);
            first = false;
            if (slash == std::string::npos) break;
            start = slash + 1;
        }
        alternatives.push_back(re);
    }
    if (alternatives.empty()) return "^$"; // nothing (an empty pattern would allow all)
    std::string out = "^(";
    for (std::size_t i = 0; i < alternatives.size(); ++i)
        out += (i ? "|" : "") + alternatives[i];
    return out + ")$";
}

std::string rabbitmq_script(const BrokerPlan& plan) {
    std::ostringstream out;
    const std::string vh = shell_quote(plan.vhost);
    out << "#!/bin/sh\n"
           "# Written by `stillroom broker-config`: RabbitMQ users and permissions for the\n"
           "# clinic's MQTT clients. Holds passwords: keep it private (mode 0600).\n"
           "# Run once on one node of the cluster: RABBITMQCTL='rabbitmqctl -n NODE' sh "
           "rabbitmq-users.sh\n"
           "set -eu\n"
           "ctl() { ${RABBITMQCTL:-rabbitmqctl} \"$@\"; }\n"
           "ctl add_vhost "
        << vh << " 2>/dev/null || true\n";
    for (const auto& u : plan.users) {
        const std::string user = shell_quote(u.user);
        std::vector<std::string> read, write;
        for (const auto& [access, topic] : u.topics) {
            if (access != TopicAccess::Write) read.push_back(topic);
            if (access != TopicAccess::Read) write.push_back(topic);
        }
        // The MQTT plugin's own queues are named after the client id; without one known
        // the user may declare any mqtt-subscription queue (topic permissions still hold).
        const std::string queues =
            "mqtt-subscription-" +
            (u.client_id.empty() ? std::string() : regex_escape(u.client_id)) + ".*";
        out << "\n# " << u.role << "\n"
            << "ctl delete_user " << user << " 2>/dev/null || true\n"
            << "ctl add_user " << user << " " << shell_quote(u.password) << "\n"
            << "ctl set_permissions -p " << vh << " " << user << " "
            << shell_quote("^" + queues + "$") << " "
            << shell_quote("^(amq\\.topic|" + queues + ")$") << " "
            << shell_quote("^(amq\\.topic|" + queues + ")$") << "\n"
            << "ctl set_topic_permissions -p " << vh << " " << user << " amq.topic "
            << shell_quote(rabbitmq_topic_regex(write)) << " "
            << shell_quote(rabbitmq_topic_regex(read)) << "\n";
    }
    out << "\n# Anonymous logins are refused by rabbitmq.conf (mqtt.allow_anonymous = false);\n"
           "# the default guest user is removed where it exists.\n"
           "ctl delete_user guest 2>/dev/null || true\n";
    return out.str();
}

std::string rabbitmq_conf_snippet(const BrokerPlan& plan) {
    return "# Stillroom: MQTT clients log in, in their own vhost.\n"
           "mqtt.allow_anonymous = false\n"
           "mqtt.vhost = " +
           plan.vhost +
           "\n"
           "# A hung peer (SIGSTOP, a stuck VM) is declared down after 5 s, not 60: until then\n"
           "# the surviving node holds every new MQTT subscription (the rooms failing over) on\n"
           "# it. The same value on every node. (docs/clinic.md, \"When a broker node crashes\")\n"
           "net_ticktime = 5\n"
           "# After a hang or a network split, the side without clients restarts and rejoins\n"
           "# (pause_minority would pause both nodes of a two-node cluster).\n"
           "cluster_partition_handling = autoheal\n";
}

} // namespace stillroom

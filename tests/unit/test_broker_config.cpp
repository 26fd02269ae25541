// `stillroom broker-config`: the password hash against lines mosquitto's own
// mosquitto_passwd wrote, the users and topic rules from a clinic's rooms, and the RabbitMQ
// topic regexes against routing keys (MQTT '/' becomes '.'). The real brokers enforcing
// them: tests/integration/test_broker_acl.cpp.
#include "temp_dir.hpp"

#include "clinic/broker_config.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <algorithm>
#include <regex>

using namespace stillroom;
using namespace stillroom::test;

namespace {

std::string unbase64(const std::string& b64) {
    std::string out(b64.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()),
                                  static_cast<int>(b64.size()));
    out.resize(static_cast<std::size_t>(n) - std::count(b64.end() - 2, b64.end(), '='));
    return out;
}

Library room(const std::string& id, const std::string& user, bool ha = false) {
    Library lib;
    lib.dir = "/lib/" + id;
    lib.room.room = id;
    MqttConfig m;
    m.username = user;
    m.client_id = "stillroom-" + id;
    m.base_topic = "stillroom/" + id;
    m.homeassistant = ha;
    lib.room.mqtt = m;
    LightConfig l;
    l.id = "ceiling";
    l.dialect = Dialect::Zigbee2Mqtt;
    l.topic = "zigbee2mqtt/" + id + "/ceiling";
    l.kelvin = std::pair{2200, 6500};
    lib.room.lights.push_back(l);
    return lib;
}

bool has(const BrokerUser& u, TopicAccess a, const std::string& topic) {
    return std::any_of(u.topics.begin(), u.topics.end(),
                       [&](const auto& t) { return t.first == a && t.second == topic; });
}

const BrokerUser* user(const BrokerPlan& p, const std::string& name) {
    for (const auto& u : p.users)
        if (u.user == name) return &u;
    return nullptr;
}

} // namespace

TEST_CASE("the mosquitto password hash is mosquitto_passwd's ($7$, PBKDF2-SHA512, 101 rounds)") {
    // Written by `mosquitto_passwd -b FILE USER PASSWORD` (mosquitto 2.0.11, Debian 12).
    struct Row {
        const char* password;
        const char* line;
    };
    const Row rows[] = {
        {"s3cret pass", "$7$101$1HT9M4SwydPXaUGh$jbFcf4kANUeMiNB7hyaJlyO47qH/AiaM46gp2UVfwM9iKzrgTL"
                        "SMzjTkByngibk+HGhbEPMe7tvdT3B5pmg7WQ=="},
        {"x", "$7$101$+NOk9KEfMGZW/DBv$kf1jv1WIrSEhVYv9sbUdQIvkX8L/b7IZwPULM0NmxFzcuaN7E/iwo6yxjwf"
              "VQcDEzFz/EpfzDlVRm+JZZ2lPLA=="},
    };
    for (const auto& row : rows) {
        CAPTURE(row.password);
        const std::string line = row.line;
        const std::string salt_b64 = line.substr(7, line.find('$', 7) - 7);
        const std::string salt = unbase64(salt_b64);
        REQUIRE(salt.size() == 12);
        CHECK(mosquitto_password_hash(row.password, salt) == line);
    }
    // Each line of a generated file has a fresh salt.
    BrokerPlan plan;
    plan.users = {{"a", "same", "", "room a", {}}, {"b", "same", "", "room b", {}}};
    const std::string file = mosquitto_password_file(plan);
    CHECK(file.rfind("a:$7$101$", 0) == 0);
    CHECK(file.find("\nb:$7$101$") != std::string::npos);
    CHECK(file.substr(2, file.find('\n') - 2) !=
          file.substr(file.find('\n') + 3, file.size() - file.find('\n') - 4));
}

TEST_CASE("broker_plan: each room its own tree, lights and cues; the overview reads rooms and "
          "sends library files; Zigbee2MQTT its own tree") {
    ClinicConfig clinic;
    clinic.clinic = "north";
    clinic.mqtt.username = "overview";
    clinic.mqtt.client_id = "stillroom-clinic-north";
    std::vector<Library> rooms = {room("room-1", "room1", true), room("room-2", "room2")};
    Problems problems;
    const BrokerPlan plan = broker_plan(clinic, rooms, problems);
    CHECK(problems.empty());
    const BrokerUser* r1 = user(plan, "room1");
    REQUIRE(r1);
    CHECK(has(*r1, TopicAccess::ReadWrite, "stillroom/room-1/#"));
    CHECK(has(*r1, TopicAccess::Write, "zigbee2mqtt/room-1/ceiling/set"));
    CHECK(has(*r1, TopicAccess::Read, "zigbee2mqtt/room-1/ceiling/availability"));
    CHECK(has(*r1, TopicAccess::Read, "homeassistant/status"));
    CHECK(has(*r1, TopicAccess::ReadWrite, "homeassistant/button/room-1/start/config"));
    for (const auto& [access, topic] : r1->topics) { // nothing of room 2's
        CAPTURE(topic);
        CHECK(topic.find("room-2") == std::string::npos);
        CHECK(topic != "#");
    }
    const BrokerUser* ov = user(plan, "overview");
    REQUIRE(ov);
    CHECK(has(*ov, TopicAccess::Read, "stillroom/+/state"));
    CHECK(has(*ov, TopicAccess::Read, "stillroom/+/heartbeat"));
    CHECK(has(*ov, TopicAccess::Write, "stillroom/+/cmd/library"));
    CHECK_FALSE(has(*ov, TopicAccess::Write, "stillroom/+/cmd/+")); // no session commands
    // Its liveness probe, to itself (devices/mqtt_client.hpp); the rooms' is under BASE/#.
    CHECK(has(*ov, TopicAccess::ReadWrite, "stillroom-clinic/" + clinic.clinic + "/probe"));
    const BrokerUser* z = user(plan, "zigbee2mqtt");
    REQUIRE(z);
    CHECK(z->topics.size() == 1);
    CHECK(has(*z, TopicAccess::ReadWrite, "zigbee2mqtt/#"));
    REQUIRE(user(plan, "homeassistant"));
    CHECK(has(*user(plan, "homeassistant"), TopicAccess::Write, "stillroom/room-1/ha/#"));

    const std::string acl = mosquitto_acl_file(plan);
    CHECK(acl.find("user room1\ntopic readwrite stillroom/room-1/#\n") != std::string::npos);
    CHECK(acl.find("topic write stillroom/+/cmd/library") != std::string::npos);
    // No rule before the first user line: anonymous clients get nothing.
    CHECK(acl.find("\ntopic ") > acl.find("\nuser "));
}

TEST_CASE("broker_plan: every problem named by file and field") {
    ClinicConfig clinic; // no username
    std::vector<Library> rooms = {room("a", "same"), room("b", "same"), room("c", "")};
    rooms[1].room.mqtt->base_topic = "stillroom/a";
    Library none = room("d", "d");
    none.room.mqtt.reset();
    rooms.push_back(none);
    Problems problems;
    broker_plan(clinic, rooms, problems);
    const std::string text = problems.to_string();
    CAPTURE(text);
    CHECK(text.find("/lib/b/room.json: mqtt.username: \"same\" is also the user of "
                    "/lib/a/room.json") != std::string::npos);
    CHECK(text.find("/lib/b/room.json: mqtt.base_topic") != std::string::npos);
    CHECK(text.find("/lib/c/room.json: mqtt.username: expected") != std::string::npos);
    CHECK(text.find("/lib/d/room.json: mqtt: expected an mqtt section") != std::string::npos);
    CHECK(text.find("clinic.json: mqtt.username") != std::string::npos);
}

TEST_CASE("RabbitMQ topic permissions: MQTT filters as regexes over routing keys") {
    struct Row {
        std::vector<std::string> filters;
        const char* key; // a routing key, or a subscription's binding key
        bool allowed;
    };
    const Row rows[] = {
        {{"stillroom/room-1/#"}, "stillroom.room-1.state", true},
        {{"stillroom/room-1/#"}, "stillroom.room-1.cmd.end", true},
        {{"stillroom/room-1/#"}, "stillroom.room-1.cmd.*", true}, // its own subscription
        {{"stillroom/room-1/#"}, "stillroom.room-1", true},
        {{"stillroom/room-1/#"}, "stillroom.room-2.state", false},
        {{"stillroom/room-1/#"}, "stillroom.room-10.state", false},
        {{"stillroom/room-1/#"}, "stillroom.*.state", false},
        {{"stillroom/+/cmd/library"}, "stillroom.room-2.cmd.library", true},
        {{"stillroom/+/cmd/library"}, "stillroom.room-2.cmd.end", false},
        {{"stillroom/+/state", "stillroom/+/status"}, "stillroom.*.status", true},
        {{"stillroom/+/state"}, "stillroom.#", false},
        {{"zigbee2mqtt/#"}, "zigbee2mqtt.room-1.ceiling.set", true},
        {{"a.b/c"}, "aXb.c", false}, // a dot in a level is literal
        {{}, "anything", false},
    };
    for (const auto& row : rows) {
        const std::string re = rabbitmq_topic_regex(row.filters);
        CAPTURE(re);
        CAPTURE(row.key);
        CHECK(std::regex_match(row.key, std::regex(re)) == row.allowed);
    }
    BrokerPlan plan;
    plan.users = {{"room1",
                   "it's",
                   "stillroom-room-1",
                   "room room-1",
                   {{TopicAccess::ReadWrite, "stillroom/room-1/#"}}}};
    const std::string script = rabbitmq_script(plan);
    CHECK(script.find("ctl add_user 'room1' 'it'\\''s'") != std::string::npos); // quoted
    CHECK(script.find("set_topic_permissions -p 'stillroom' 'room1' amq.topic "
                      "'^(stillroom\\.room-1(\\..*)?)$'") != std::string::npos);
    const std::string conf = rabbitmq_conf_snippet(plan);
    CHECK(conf.find("mqtt.allow_anonymous = false") != std::string::npos);
    // The cluster settings scripts/rabbitmq-cluster.sh runs with (test_clinic_cluster.cpp):
    // a hung node declared down in seconds, a healed partition after it wakes.
    CHECK(conf.find("\nnet_ticktime = 5\n") != std::string::npos);
    CHECK(conf.find("\ncluster_partition_handling = autoheal\n") != std::string::npos);
}

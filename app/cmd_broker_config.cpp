// stillroom broker-config --clinic clinic.json --rooms DIR [DIR...] --out DIR: writes the
// broker's users and ACLs (clinic/broker_config.hpp) and the passwords they need.
//   OUT/mosquitto/password_file, acl_file, stillroom.conf (include it from mosquitto.conf)
//   OUT/rabbitmq/rabbitmq-users.sh (rabbitmqctl commands), rabbitmq.conf (lines to add)
//   OUT/secrets/zigbee2mqtt, homeassistant (their passwords, kept across runs)
// A room's (and the overview's) password is read from its mqtt.password_file; a file that
// does not exist yet is made with a new random password, so a first run sets everything up.
#include "app/commands.hpp"
#include "clinic/broker_config.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>

namespace stillroom::app {

namespace {

namespace fs = std::filesystem;

bool write_private(const fs::path& path, const std::string& text, std::string* error) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            *error = path.string() + ": cannot write";
            return false;
        }
        chmod(tmp.c_str(), 0600); // passwords and their hashes: the owner only
        out << text;
        if (!out.flush()) {
            *error = path.string() + ": cannot write";
            return false;
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) *error = path.string() + ": " + ec.message();
    return !ec;
}

std::string new_password() {
    static const char kAlphabet[] =
        "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no look-alikes
    unsigned char bytes[24];
    RAND_bytes(bytes, sizeof bytes);
    std::string out;
    for (unsigned char b : bytes)
        out += kAlphabet[b % (sizeof kAlphabet - 1)];
    return out;
}

// The password in `file` (its first line), or a new one written there.
std::optional<std::string> password_from(const fs::path& file, const std::string& field,
                                         Problems& problems) {
    std::ifstream in(file);
    if (in) {
        std::string pw;
        std::getline(in, pw);
        while (!pw.empty() && (pw.back() == '\r' || pw.back() == ' '))
            pw.pop_back();
        if (pw.empty()) {
            problems.error(field, file.string() + " is empty");
            return std::nullopt;
        }
        return pw;
    }
    std::string pw = new_password(), error;
    if (!write_private(file, pw + "\n", &error)) {
        problems.error(field, error);
        return std::nullopt;
    }
    std::cout << "new password written to " << file.string() << "\n";
    return pw;
}

fs::path resolve(const fs::path& dir, const std::string& p) {
    return fs::path(p).is_absolute() ? fs::path(p) : dir / p;
}

} // namespace

int cmd_broker_config(const cli::Args& args) {
    Problems problems;
    auto clinic = load_clinic_config_file(args.get("--clinic"), problems);
    std::vector<std::string> dirs = {args.get("--rooms")};
    dirs.insert(dirs.end(), args.positional.begin(), args.positional.end());
    std::vector<Library> rooms;
    for (const auto& d : dirs) {
        if (!fs::is_regular_file(fs::path(d) / "room.json")) {
            problems.error(d, "expected a room's library (a folder with room.json)");
            continue;
        }
        Problems local;
        rooms.push_back(load_library(d, local));
        for (const auto& p : local.list()) // only room.json matters here
            if (p.file.find("room.json") != std::string::npos) problems.add(p);
    }
    if (!clinic || problems.has_errors()) {
        for (const auto& p : problems.list())
            std::cerr << p.to_string() << "\n";
        return cli::kBadInput;
    }
    BrokerPlan plan = broker_plan(*clinic, rooms, problems);
    const fs::path out = args.get("--out");
    for (auto& u : plan.users) {
        if (u.role == "overview") {
            if (clinic->mqtt.password_file.empty())
                problems.error("clinic.json: mqtt.password_file",
                               "expected a file for the overview's broker password");
            else if (auto pw = password_from(resolve(clinic->dir, clinic->mqtt.password_file),
                                             "clinic.json: mqtt.password_file", problems))
                u.password = *pw;
        } else if (u.role.rfind("room ", 0) == 0) {
            for (const auto& lib : rooms) {
                if (!lib.room.mqtt || lib.room.mqtt->username != u.user) continue;
                const std::string field = (lib.dir / "room.json").string() + ": mqtt.password_file";
                if (lib.room.mqtt->password_file.empty())
                    problems.error(field, "expected a file for the room's broker password");
                else if (auto pw = password_from(resolve(lib.dir, lib.room.mqtt->password_file),
                                                 field, problems))
                    u.password = *pw;
            }
        } else if (auto pw = password_from(out / "secrets" / u.user, "--out", problems)) {
            u.password = *pw;
        }
    }
    if (problems.has_errors()) {
        for (const auto& p : problems.list())
            std::cerr << p.to_string() << "\n";
        return cli::kBadInput;
    }
    const fs::path mq = fs::absolute(out / "mosquitto");
    std::string error;
    const bool ok =
        write_private(mq / "password_file", mosquitto_password_file(plan), &error) &&
        write_private(mq / "acl_file", mosquitto_acl_file(plan), &error) &&
        write_private(
            mq / "stillroom.conf",
            mosquitto_conf_snippet((mq / "password_file").string(), (mq / "acl_file").string()),
            &error) &&
        write_private(out / "rabbitmq" / "rabbitmq-users.sh", rabbitmq_script(plan), &error) &&
        write_private(out / "rabbitmq" / "rabbitmq.conf", rabbitmq_conf_snippet(plan), &error);
    if (!ok) {
        std::cerr << "stillroom broker-config: " << error << "\n";
        return cli::kBadInput;
    }
    for (const auto& u : plan.users)
        std::cout << u.role << ": user " << u.user << ", " << u.topics.size() << " topic rules\n";
    std::cout << "wrote " << mq.string() << "/{password_file,acl_file,stillroom.conf} and "
              << fs::absolute(out / "rabbitmq").string() << "/{rabbitmq-users.sh,rabbitmq.conf}\n";
    return cli::kOk;
}

} // namespace stillroom::app

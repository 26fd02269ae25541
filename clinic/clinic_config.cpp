// clinic.json.
#include "clinic/clinic_config.hpp"

#include "engine/time_expr.hpp"

#include <fstream>
#include <sstream>

namespace stillroom {

std::optional<ClinicConfig> load_clinic_config(const Json& json, Problems& problems) {
    const auto errors_before = problems.error_count();
    ObjectReader root(json, "", problems);
    if (!root.is_object()) return std::nullopt;
    ClinicConfig c;
    if (auto id = root.string("clinic", Need::Required)) {
        if (!is_valid_id(*id))
            problems.error("clinic", "expected an id of letters, digits, '-' or '_'");
        c.clinic = *id;
    }
    c.name = root.string("name").value_or(c.clinic);
    if (auto m = root.object("mqtt", Need::Required)) {
        if (auto mqtt = read_mqtt(*m, "clinic-" + c.clinic)) c.mqtt = std::move(*mqtt);
    }
    if (auto rt = root.string("rooms_topic")) {
        // One level of wildcard at most, and no '#': the overview adds /status and /state.
        if (rt->empty() || rt->find('#') != std::string::npos || rt->back() == '/')
            problems.error(root.path_of("rooms_topic"),
                           "expected a topic like \"stillroom/+\" (no '#')");
        c.rooms_topic = *rt;
    }
    if (auto n = root.number("max_rooms", Need::Optional, 1, 10000))
        c.max_rooms = static_cast<std::size_t>(*n);
    if (auto alerts = root.object("alerts")) {
        if (auto m = alerts->number("reminder_overdue_minutes", Need::Optional, 0, 240))
            c.reminder_overdue = Ms{static_cast<Ms::rep>(*m * 60'000)};
        alerts->finish();
    }
    if (auto control = root.object("control", Need::Required)) read_control(*control, c.control);
    root.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return c;
}

std::optional<ClinicConfig> load_clinic_config_file(const std::filesystem::path& path,
                                                    Problems& problems) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems.error(path.string(), "cannot read the file");
        return std::nullopt;
    }
    std::stringstream s;
    s << in.rdbuf();
    Problems local(path.string());
    auto json = parse_json_text(s.str(), local);
    std::optional<ClinicConfig> c;
    if (json) c = load_clinic_config(*json, local);
    problems.append(local);
    if (c) c->dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    return c;
}

} // namespace stillroom

// Journal replay.
#include "engine/restore.hpp"

#include "engine/journal_gaps.hpp"

namespace stillroom {

std::optional<SessionSetup> setup_from_start_record(const Json& start, Problems& problems) {
    try {
        SessionSetup setup;
        setup.id = start.at("id").get<std::string>();
        setup.label = start.value("label", "");
        setup.seed = start.at("seed").get<std::uint64_t>();
        setup.wall_start_ms = start.value("wall_start_ms", std::int64_t{0});
        setup.utc_offset_min = start.value("utc_offset_min", 0);
        setup.max_volume_db = start.at("max_volume_db").get<double>();
        setup.template_json = start.at("template");
        Problems template_problems("journal template");
        auto tmpl = load_template(setup.template_json, start.value("template_id", "template"),
                                  template_problems, nullptr);
        if (!tmpl) {
            problems.append(template_problems);
            return std::nullopt;
        }
        setup.tmpl = std::move(*tmpl);
        for (const auto& [id, p] : start.at("playlists").items())
            setup.playlists[id] = playlist_info_from_json(p);
        if (start.contains("scene_fades_ms"))
            for (const auto& [id, f] : start.at("scene_fades_ms").items())
                setup.scene_fades[id] = Ms{f.get<Ms::rep>()};
        if (start.contains("scenes"))
            for (const auto& [id, lights] : start.at("scenes").items())
                setup.scenes[id] = scene_lights_from_json(lights);
        return setup;
    } catch (const std::exception& e) {
        problems.error("", std::string("the journal's start record is damaged: ") + e.what());
        return std::nullopt;
    }
}

std::optional<RestoredSession> restore_session(const JournalContents& journal, Problems& problems,
                                               const SceneFallback& fallback) {
    if (journal.records.empty() || journal.records.front().value("type", "") != "start") {
        problems.error("", "the journal has no start record");
        return std::nullopt;
    }
    auto setup = setup_from_start_record(journal.records.front(), problems);
    if (!setup) return std::nullopt;
    RestoredSession out;
    out.torn_tail = journal.torn_tail;
    out.warnings = journal.problems;
    if (journal.torn_tail)
        out.warnings.push_back("the journal's last line was torn; it was ignored");
    if (!journal.records.front().contains("scenes")) {
        if (fallback) {
            setup->scenes = fallback(setup->tmpl);
            out.scenes_from_library = true;
            out.warnings.push_back(
                "the journal has no scene snapshot (written before sessions kept their scenes); "
                "the scenes were taken from the library as it is now");
        } else {
            out.warnings.push_back("the journal has no scene snapshot; the lights have no targets");
        }
    }
    out.session = std::make_unique<Session>(std::move(*setup));
    out.session->start();
    // Commands a resume took back from the state file over a gap, at their own times.
    const std::vector<Json> records = records_with_restored(journal.records);
    for (std::size_t i = 1; i < records.size(); ++i) {
        const Json& r = records[i];
        const std::string type = r.value("type", "");
        Ms t{0};
        try {
            t = Ms{r.at("t").get<Ms::rep>()};
        } catch (const std::exception&) {
            out.warnings.push_back("record " + std::to_string(i + 1) + " has no time; skipped");
            continue;
        }
        out.last_record = std::max(out.last_record, t);
        if (type == "finished") {
            out.session->advance_to(t);
            out.finished = true;
            continue;
        }
        if (type != "cmd") continue; // events and refusals are for people, not for replay
        const auto kind = command_kind_from_name(r.value("cmd", ""));
        Problems p("journal");
        std::optional<Command> cmd;
        if (kind) cmd = parse_command(*kind, r.value("args", Json::object()), p);
        if (!cmd) {
            out.warnings.push_back("record " + std::to_string(i + 1) +
                                   ": unreadable command; skipped");
            continue;
        }
        out.session->apply(*cmd, t);
    }
    return out;
}

} // namespace stillroom

// Resuming over a journal that lost records, with what the state file knows.
#include "runtime/journal_repair.hpp"

#include <cmath>

namespace stillroom {

namespace {

Json since_on(const Session& s, const char* kind, bool on) {
    if (!on) return nullptr;
    const auto& eps = s.history().episodes;
    for (auto it = eps.rbegin(); it != eps.rend(); ++it)
        if (it->kind == kind && !it->end) return it->start.count();
    return s.now().count();
}

std::optional<Ms> ms_of(const Json& facts, const char* key) {
    const auto it = facts.find(key);
    if (it == facts.end() || !it->is_number_integer()) return std::nullopt;
    return Ms{it->get<Ms::rep>()};
}

Json gaps_json(const std::vector<SeqGap>& gaps) {
    Json out = Json::array();
    for (const auto& g : gaps)
        out.push_back(Json::array({g.from, g.to}));
    return out;
}

} // namespace

Json session_facts(const Session& s, Ms now) {
    auto ms_or_null = [](std::optional<Ms> t) { return t ? Json(t->count()) : Json(nullptr); };
    return {{"t", now.count()},
            {"dose_t", ms_or_null(s.dose_at())},
            {"booster_t", ms_or_null(s.booster_at())},
            {"trim_db", s.volume_parts().trim_db},
            {"comfort_since", since_on(s, "comfort", s.comfort())},
            {"lights_up_since", since_on(s, "lights_up", s.lights_up())},
            {"held_since", since_on(s, "hold", s.held())}};
}

std::optional<RestoredSession> restore_with_repair(JournalContents& contents, const Json& anchor,
                                                   Problems& problems,
                                                   const SceneFallback& fallback,
                                                   JournalRepair* repair) {
    const std::int64_t anchor_seq =
        anchor.is_object() ? anchor.value("seq", std::int64_t{0}) : std::int64_t{0};
    const Json facts =
        anchor.is_object() && anchor.contains("record") && anchor["record"].is_object()
            ? anchor["record"]
            : Json(nullptr);
    const std::int64_t journal_last = last_journal_seq(contents);
    repair->missing = journal_seq_gaps(contents, anchor_seq);
    auto restored = restore_session(contents, problems, fallback);
    const bool lost = !repair->missing.empty() || !contents.damaged.empty();
    if (!restored || !lost) return restored;

    Json cmds = Json::array();
    auto add = [&](Ms t, const char* cmd, Json args, const char* what) {
        cmds.push_back({{"type", "cmd"},
                        {"t", t.count()},
                        {"cmd", cmd},
                        {"args", std::move(args)},
                        {"restored_from", "state"}});
        repair->kept.push_back(what);
    };
    if (facts.is_object()) {
        const Session& s = *restored->session;
        // Marked once, never unmarked: any anchor that has them is right.
        if (auto d = ms_of(facts, "dose_t"); d && !s.dose_at())
            add(*d, "dose", Json::object(), "dose");
        if (auto b = ms_of(facts, "booster_t"); b && !s.booster_at())
            add(*b, "dose", {{"booster", true}}, "booster");
        // The rest only from a state file at least as new as the journal.
        if (anchor_seq >= journal_last) {
            const Ms t =
                std::max(ms_of(facts, "t").value_or(restored->last_record), restored->last_record);
            struct OverlayFact {
                const char* key;
                bool on_now;
                const char* on_cmd;
                Json on_args;
                const char* off_cmd;
                Json off_args;
                const char* what;
            };
            const OverlayFact overlays[] = {
                {"comfort_since",
                 s.comfort(),
                 "comfort",
                 {{"on", true}},
                 "comfort",
                 {{"on", false}},
                 "comfort"},
                {"lights_up_since",
                 s.lights_up(),
                 "lights-up",
                 {{"on", true}},
                 "lights-up",
                 {{"on", false}},
                 "lights up"},
                {"held_since", s.held(), "hold", Json::object(), "resume", Json::object(), "hold"},
            };
            for (const auto& o : overlays) {
                if (!facts.contains(o.key)) continue;
                const auto since = ms_of(facts, o.key);
                if (since && !o.on_now) add(*since, o.on_cmd, o.on_args, o.what);
                if (!since && o.on_now) add(t, o.off_cmd, o.off_args, o.what);
            }
            if (facts.contains("trim_db") && facts["trim_db"].is_number()) {
                const double trim = facts["trim_db"].get<double>();
                if (std::fabs(trim - s.volume_parts().trim_db) > 0.05)
                    add(t, "volume", {{"trim_db", trim}}, "trim");
            }
        }
    }
    if (repair->missing.empty() && cmds.empty()) return restored; // damage already reported
    repair->gap = {
        {"missing", gaps_json(repair->missing)}, {"kept", repair->kept}, {"restored", cmds}};
    if (!cmds.empty()) {
        contents.records.push_back({{"type", "event"},
                                    {"t", restored->last_record.count()},
                                    {"event", "resumed"},
                                    {"gap", repair->gap}});
        Problems again;
        auto repaired = restore_session(contents, again, fallback);
        contents.records.pop_back();
        if (repaired) restored = std::move(repaired);
    }
    std::string kept;
    for (const auto& k : repair->kept)
        kept += (kept.empty() ? "" : ", ") + k;
    repair->summary = (repair->missing.empty()
                           ? std::string("journal records were damaged")
                           : "journal records are missing (" + describe_gaps(repair->missing) +
                                 (anchor_seq > journal_last ? ": the journal was cut" : "") + ")") +
                      (kept.empty() ? "; the state file knew nothing more of them"
                                    : "; kept from the room's state file: " + kept) +
                      ". Vitals and notes in the lost records are not known: check the marks";
    return restored;
}

} // namespace stillroom

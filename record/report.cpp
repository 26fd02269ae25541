// Building the session record from a journal: one pass over the records in order, keeping
// what was open (phase, hold, comfort, track, fault) and closing it when the next record
// says so. Events and commands are the truth of what happened; nothing is replayed.
#include "record/report.hpp"

#include "engine/journal_gaps.hpp"

#include "engine/duration.hpp"
#include "engine/report_forms.hpp"
#include "engine/session.hpp"
#include "record/report_chart.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

namespace stillroom {

namespace {

struct Open {
    Ms start{0};
    std::size_t index = 0; // into the output array it will close
};

class ReportBuilder {
public:
    ReportBuilder(const JournalContents& journal, const Json& start, SessionTemplate tmpl)
        : journal_(journal), start_(start), tmpl_(std::move(tmpl)) {
        phase_start_.assign(tmpl_.phases.size(), std::nullopt);
        phase_end_.assign(tmpl_.phases.size(), std::nullopt);
        phase_extended_.assign(tmpl_.phases.size(), Ms{0});
        phase_held_.assign(tmpl_.phases.size(), Ms{0});
    }

    Json build();

private:
    // Times relative to the dose, once it is known (rows are completed at the end).
    Json since_dose(Ms t) const { return dose_ ? report_seconds(t - *dose_) : Json(nullptr); }
    std::string phase_id() const {
        return phase_ >= 0 ? tmpl_.phases[static_cast<std::size_t>(phase_)].id : "";
    }
    void row(Ms t, const std::string& kind, const std::string& what = "", Json value = nullptr,
             Json flags = Json::array());
    // Adds the current record's wall clock, user and seq to a row (null when the journal
    // predates them).
    Json& stamp(Json& row) const {
        row["clock"] = clock_;
        row["by"] = by_;
        row["seq"] = seq_;
        return row;
    }
    void on_command(const Json& r, Ms t);
    void on_event(const Json& r, Ms t);
    void open_episode(const std::string& kind, Ms t, std::optional<Open>& slot);
    void close_episode(Ms t, std::optional<Open>& slot);
    void close_music(Ms t);
    void close_phase(Ms t);
    void finish(Ms end);
    Json phases_json() const;
    Json session_json(Ms end) const;
    void add_dose_times(Json& rows, const char* at_key, const char* out_key) const;

    const JournalContents& journal_;
    const Json& start_;
    SessionTemplate tmpl_;

    int phase_ = -1;
    std::vector<std::optional<Ms>> phase_start_, phase_end_;
    std::vector<Ms> phase_extended_, phase_held_;
    std::optional<Ms> dose_, booster_, ending_, finished_;
    Ms last_t_{0};
    Json clock_ = nullptr, by_ = nullptr, seq_ = nullptr; // of the record being read
    Json dose_entry_ = nullptr, booster_entry_ = nullptr;
    Json discharge_ = nullptr; // the discharge record (a monitoring clock's checklist)
    Json ended_at_ = nullptr;  // the finished record's clock
    // The current record's time as corrected by a later wrong-time correction, if any
    // (moves the record's dose-relative times, never what the live session did).
    Ms corrected_time(Ms t) const {
        const auto it =
            seq_.is_number_integer() ? moved_.find(seq_.get<std::int64_t>()) : moved_.end();
        return it == moved_.end() ? t : it->second;
    }
    std::map<std::int64_t, Ms> moved_; // seq -> corrected time (wrong-time corrections)

    std::optional<Open> hold_, comfort_, lights_up_, music_;
    std::map<std::string, Open> faults_open_;

    Json events_ = Json::array();
    Json episodes_ = Json::array();
    Json extensions_ = Json::array();
    Json vitals_ = Json::array();
    Json reminders_ = Json::array();
    Json volume_ = Json::array();
    Json depth_ = Json::array(); // the therapist's depth changes: {"trim"} each
    Json music_rows_ = Json::array();
    Json skips_ = Json::array();
    Json faults_ = Json::array();
    Json observations_ = Json::array();
    Json alerts_ = Json::array();       // vitals alert episodes from the room's monitors
    Json vitals_trend_ = Json::array(); // their minute rows
    bool vitals_flagged_ = false;
};

// The dose mark's structured fields (the template's "dose.fields"), when it carried them.
void add_dose_fields(Json& entry, const Json& args) {
    for (const char* k : {"amount_mg", "route"})
        if (args.contains(k)) entry[k] = args[k];
}

std::string two(int v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d", v);
    return buf;
}

} // namespace

std::string report_dose_fields(const Json& entry) {
    std::string out;
    if (entry.contains("amount_mg") && entry["amount_mg"].is_number())
        out = entry["amount_mg"].dump() + " mg";
    if (entry.contains("route") && entry["route"].is_string())
        out += (out.empty() ? "" : " ") + entry["route"].get<std::string>();
    return out;
}

Json report_seconds(std::optional<Ms> t) {
    if (!t) return nullptr;
    if (t->count() % 1000 == 0) return t->count() / 1000; // whole seconds stay integers
    return to_seconds(*t);
}

// A journaled vitals command's arguments, flagged by the engine's own rule (vitals_flags).
std::vector<std::string> report_vitals_flags(const Json& v, const VitalsAlert& alert) {
    auto get = [&](const char* key) -> std::optional<int> {
        if (!v.contains(key) || !v[key].is_number_integer()) return std::nullopt;
        return v[key].get<int>();
    };
    VitalsRecord reading;
    reading.systolic = get("systolic");
    reading.diastolic = get("diastolic");
    reading.hr = get("hr");
    reading.spo2 = get("spo2");
    return vitals_flags(reading, alert);
}

void ReportBuilder::row(Ms t, const std::string& kind, const std::string& what, Json value,
                        Json flags) {
    Json e = {{"t_s", report_seconds(t)},
              {"at_ms", t.count()},
              {"phase", phase_id()},
              {"kind", kind},
              {"what", what},
              {"value", std::move(value)},
              {"flags", std::move(flags)}};
    events_.push_back(std::move(stamp(e)));
}

void ReportBuilder::open_episode(const std::string& kind, Ms t, std::optional<Open>& slot) {
    if (slot) return;
    slot = Open{t, episodes_.size()};
    Json e = {{"kind", kind},
              {"phase", phase_id()},
              {"start_s", report_seconds(t)},
              {"at_ms", t.count()}};
    episodes_.push_back(std::move(stamp(e)));
}

void ReportBuilder::close_episode(Ms t, std::optional<Open>& slot) {
    if (!slot) return;
    Json& e = episodes_[slot->index];
    e["end_s"] = report_seconds(t);
    e["duration_s"] = report_seconds(t - slot->start);
    if (e["kind"] == "hold" && phase_ >= 0)
        phase_held_[static_cast<std::size_t>(phase_)] += t - slot->start;
    slot.reset();
}

void ReportBuilder::close_music(Ms t) {
    if (!music_) return;
    Json& m = music_rows_[music_->index];
    m["end_s"] = report_seconds(t);
    m["duration_s"] = report_seconds(t - music_->start);
    music_.reset();
}

void ReportBuilder::close_phase(Ms t) {
    if (phase_ < 0) return;
    auto& end = phase_end_[static_cast<std::size_t>(phase_)];
    if (!end) end = t;
}

void ReportBuilder::on_command(const Json& r, Ms t) {
    const std::string cmd = r.value("cmd", "");
    const Json args = r.contains("args") && r["args"].is_object() ? r["args"] : Json::object();
    if (cmd == "dose") {
        if (args.value("booster", false)) {
            booster_ = corrected_time(t);
            booster_entry_ = Json::object();
            stamp(booster_entry_);
            add_dose_fields(booster_entry_, args);
            row(t, "booster", report_dose_fields(booster_entry_));
            if (tmpl_.booster) {
                const int target = tmpl_.phase_index(tmpl_.booster->extend);
                if (target >= 0)
                    phase_extended_[static_cast<std::size_t>(target)] += tmpl_.booster->by;
                extensions_.push_back({{"at_ms", t.count()},
                                       {"t_s", report_seconds(t)},
                                       {"phase", tmpl_.booster->extend},
                                       {"by_s", report_seconds(tmpl_.booster->by)},
                                       {"source", "booster"}});
            }
        } else {
            dose_ = corrected_time(t);
            dose_entry_ = Json::object();
            stamp(dose_entry_);
            add_dose_fields(dose_entry_, args);
            row(t, "dose", report_dose_fields(dose_entry_));
        }
    } else if (cmd == "next") {
        row(t, "next", args.value("phase", ""));
    } else if (cmd == "hold") {
        open_episode("hold", t, hold_);
        row(t, "hold");
    } else if (cmd == "resume") {
        close_episode(t, hold_);
        row(t, "resume");
    } else if (cmd == "extend") {
        const Ms by{static_cast<Ms::rep>(args.value("seconds", 0.0) * 1000.0 + 0.5)};
        if (phase_ >= 0) phase_extended_[static_cast<std::size_t>(phase_)] += by;
        extensions_.push_back({{"at_ms", t.count()},
                               {"t_s", report_seconds(t)},
                               {"phase", phase_id()},
                               {"by_s", report_seconds(by)},
                               {"source", "extend"}});
        row(t, "extend", phase_id(), report_seconds(by));
    } else if (cmd == "comfort" || cmd == "lights-up") {
        const bool on = args.value("on", true);
        auto& slot = cmd == "comfort" ? comfort_ : lights_up_;
        const std::string kind = cmd == "comfort" ? "comfort" : "lights_up";
        if (on)
            open_episode(kind, t, slot);
        else
            close_episode(t, slot);
        row(t, kind + (on ? "_on" : "_off"));
    } else if (cmd == "discharge") { // the monitoring clock's checklist (report_monitoring.cpp)
        discharge_ = {{"at_ms", t.count()}, {"t_s", report_seconds(t)}};
        stamp(discharge_);
        row(t, "discharge");
    } else if (cmd == "end") {
        row(t, "end");
    } else if (cmd == "volume") {
        Json v = {{"at_ms", t.count()}, {"t_s", report_seconds(t)}};
        for (const auto& [k, val] : args.items())
            v[k] = val;
        volume_.push_back(v);
        row(t, "volume", args.dump(), nullptr);
    } else if (cmd == "depth") {
        Json d = {{"at_ms", t.count()}, {"t_s", report_seconds(t)}};
        for (const auto& [k, val] : args.items())
            d[k] = val;
        depth_.push_back(d);
        row(t, "depth", args.dump(), nullptr);
    } else if (cmd == "skip") {
        Json skip = {{"at_ms", t.count()}, {"t_s", report_seconds(t)}};
        if (music_) {
            Json& m = music_rows_[music_->index];
            m["skipped"] = true;
            for (const char* k : {"playlist", "track", "title"})
                skip[k] = m[k];
        }
        skips_.push_back(skip);
        row(t, "skip", skip.value("title", ""));
    } else if (cmd == "vitals") {
        Json reading = {{"at_ms", t.count()}, {"t_s", report_seconds(t)}};
        for (const char* k : {"systolic", "diastolic", "hr", "spo2"})
            reading[k] = args.contains(k) ? args[k] : Json(nullptr);
        const auto flags = report_vitals_flags(args, tmpl_.vitals_alert);
        reading["flags"] = flags;
        reading["cue"] = args.contains("cue") ? args["cue"] : Json(nullptr);
        if (args.contains("source")) reading["source"] = args["source"]; // a device's reading
        vitals_.push_back(std::move(stamp(reading)));
        std::string what;
        for (const char* k : {"systolic", "diastolic", "hr", "spo2"})
            if (args.contains(k))
                what += (what.empty() ? "" : " ") + std::string(k) + "=" + args[k].dump();
        row(t, "vitals", what, nullptr, flags);
        if (args.contains("cue")) {
            for (auto& rem : reminders_)
                if (rem["cue"] == args["cue"] && rem["done_s"].is_null()) {
                    rem["done_s"] = report_seconds(t);
                    rem["done_ms"] = t.count();
                    rem["done_by"] = "vitals";
                    rem["clock"] = clock_;
                    rem["by"] = by_;
                    rem["done_seq"] = seq_;
                }
        }
    } else if (cmd == "ack") {
        for (auto& rem : reminders_)
            if (rem["cue"] == args.value("cue", -1) && rem["done_s"].is_null()) {
                rem["done_s"] = report_seconds(t);
                rem["done_ms"] = t.count();
                rem["done_by"] = "ack";
                rem["clock"] = clock_;
                rem["by"] = by_;
                rem["done_seq"] = seq_;
            }
        row(t, "ack", "cue " + std::to_string(args.value("cue", -1)));
    } else if (cmd == "track-failed") {
        row(t, "track_failed", args.value("file", ""));
    } else if (cmd == "observe") {
        Json o = {{"at_ms", t.count()},
                  {"t_s", report_seconds(t)},
                  {"code", args.value("code", "")},
                  {"phase", phase_id()}};
        observations_.push_back(std::move(stamp(o)));
        row(t, "observation", args.value("code", ""));
    }
}

void ReportBuilder::on_event(const Json& r, Ms t) {
    const std::string event = r.value("event", "");
    if (const Json* gap = resume_gap(r)) {
        // Records lost from the journal; what the room took back from its state file.
        std::vector<SeqGap> missing;
        for (const auto& m : gap->value("missing", Json::array()))
            if (m.is_array() && m.size() == 2 && m[0].is_number_integer() &&
                m[1].is_number_integer())
                missing.push_back({m[0].get<std::int64_t>(), m[1].get<std::int64_t>()});
        std::string kept;
        for (const auto& k : gap->value("kept", Json::array()))
            if (k.is_string()) kept += (kept.empty() ? "" : ", ") + k.get<std::string>();
        row(t, "journal_gap",
            "records missing from the journal (" + describe_gaps(missing) + ")" +
                (kept.empty() ? "" : "; kept from the room's state file: " + kept),
            nullptr, Json::array({"journal_gap"}));
    }
    if (event == "phase") {
        const int index = tmpl_.phase_index(r.value("phase", ""));
        if (index < 0) return;
        close_episode(t, hold_); // entering a phase ends any hold
        close_phase(t);
        phase_ = index;
        phase_start_[static_cast<std::size_t>(index)] = t;
        row(t, "phase", tmpl_.phases[static_cast<std::size_t>(index)].name);
    } else if (event == "cue") {
        const int index = r.value("cue", -1);
        if (index < 0 || static_cast<std::size_t>(index) >= tmpl_.cues.size()) return;
        const Cue& cue = tmpl_.cues[static_cast<std::size_t>(index)];
        if (!cue.remind) return;
        reminders_.push_back({{"cue", index},
                              {"text", *cue.remind},
                              {"vitals", cue.vitals},
                              {"due_s", report_seconds(t)},
                              {"due_ms", t.count()},
                              {"due_clock", clock_},
                              {"done_s", nullptr},
                              {"done_by", nullptr},
                              {"clock", nullptr},
                              {"by", nullptr}});
        row(t, "reminder", *cue.remind);
    } else if (event == "track") {
        close_music(t);
        const std::string playlist = r.value("playlist", "");
        const int track = r.value("track", -1);
        Json m = {{"playlist", playlist},
                  {"track", track},
                  {"title", ""},
                  {"artist", ""},
                  {"file", ""},
                  {"start_s", report_seconds(t)},
                  {"at_ms", t.count()},
                  {"from_s", report_seconds(Ms{r.value("position_ms", Ms::rep{0})})},
                  {"comfort", tmpl_.comfort.playlist && *tmpl_.comfort.playlist == playlist},
                  {"skipped", false}};
        const Json& lists = start_.contains("playlists") ? start_["playlists"] : Json::object();
        if (lists.contains(playlist) && track >= 0 && lists[playlist].contains("tracks") &&
            static_cast<std::size_t>(track) < lists[playlist]["tracks"].size()) {
            const Json& info = lists[playlist]["tracks"][static_cast<std::size_t>(track)];
            for (const char* k : {"title", "artist", "file"})
                m[k] = info.value(k, "");
        }
        music_ = Open{t, music_rows_.size()};
        music_rows_.push_back(m);
        row(t, "track",
            m["title"].get<std::string>().empty() ? m["file"].get<std::string>()
                                                  : m["title"].get<std::string>(),
            playlist);
    } else if (event == "silence" && r.contains("seconds")) {
        // The end of a silence longer than 5 s in a phase with a playlist, with its length
        // (the record's `silence` flag); the music lane was closed when it began.
    } else if (event == "silence") {
        close_music(t);
        // A silence's length (when the engine measured it): the record flags it.
        row(t, "silence", "", r.contains("seconds") ? r["seconds"] : Json(nullptr));
    } else if (event == "ending") {
        ending_ = t;
        close_music(t);
        close_phase(t);
        close_episode(t, hold_);
        close_episode(t, comfort_);
        close_episode(t, lights_up_);
        row(t, "ending");
    } else if (report_vitals_event(r, t, alerts_, vitals_trend_)) {
    } else if (event == "resumed") {
        row(t, "resumed");
    } else if (event == "device") {
        const std::string device = r.value("device", "");
        const bool ok = r.value("ok", true);
        auto it = faults_open_.find(device);
        if (!ok && it == faults_open_.end()) {
            faults_open_[device] = Open{t, faults_.size()};
            faults_.push_back({{"device", device},
                               {"start_s", report_seconds(t)},
                               {"at_ms", t.count()},
                               {"detail", r.value("detail", "")},
                               {"end_s", nullptr},
                               {"duration_s", nullptr},
                               {"ongoing", true}});
        } else if (ok && it != faults_open_.end()) {
            Json& f = faults_[it->second.index];
            f["end_s"] = report_seconds(t);
            f["duration_s"] = report_seconds(t - it->second.start);
            f["ongoing"] = false;
            faults_open_.erase(it);
        }
        row(t, ok ? "device_ok" : "device_fault", device);
    }
}

void ReportBuilder::finish(Ms end) {
    close_music(end);
    close_phase(end);
    for (auto* slot : {&hold_, &comfort_, &lights_up_})
        close_episode(end, *slot);
    for (auto& [device, open] : faults_open_) {
        Json& f = faults_[open.index];
        f["duration_s"] = report_seconds(end - open.start);
    }
}

void ReportBuilder::add_dose_times(Json& rows, const char* at_key, const char* out_key) const {
    for (auto& r : rows) {
        if (!r.contains(at_key) || !r[at_key].is_number_integer()) continue;
        r[out_key] = since_dose(Ms{r[at_key].get<Ms::rep>()});
        r.erase(at_key);
    }
}

Json ReportBuilder::phases_json() const {
    Json out = Json::array();
    int last_entered = -1;
    for (std::size_t i = 0; i < tmpl_.phases.size(); ++i)
        if (phase_start_[i]) last_entered = static_cast<int>(i);
    for (std::size_t i = 0; i < tmpl_.phases.size(); ++i) {
        const Phase& p = tmpl_.phases[i];
        const auto& s = phase_start_[i];
        const auto& e = phase_end_[i];
        std::string status = "done";
        if (!s)
            status = static_cast<int>(i) < last_entered ? "skipped" : "not_reached";
        else if (!finished_ && !ending_ && static_cast<int>(i) == phase_)
            status = "running";
        out.push_back({{"index", i},
                       {"id", p.id},
                       {"name", p.name},
                       {"until", to_string(p.until)},
                       {"status", status},
                       {"planned_s", report_seconds(p.duration)},
                       {"extended_s", report_seconds(phase_extended_[i])},
                       {"held_s", report_seconds(phase_held_[i])},
                       {"start_s", report_seconds(s)},
                       {"end_s", report_seconds(e)},
                       {"duration_s", s && e ? report_seconds(*e - *s) : Json(nullptr)},
                       {"start_since_dose_s", s ? since_dose(*s) : Json(nullptr)},
                       {"end_since_dose_s", e ? since_dose(*e) : Json(nullptr)}});
    }
    return out;
}

Json ReportBuilder::session_json(Ms end) const {
    Json s = {{"id", start_.value("id", "")},
              {"label", start_.value("label", "")},
              {"template_id", start_.value("template_id", "")},
              {"template_name", tmpl_.name},
              {"record", tmpl_.record ? Json(*tmpl_.record) : Json(nullptr)},
              {"started_at", nullptr},
              {"date", nullptr},
              {"clock", nullptr},
              {"ended_at", ended_at_},
              {"started_by", start_.contains("by") ? start_["by"] : Json(nullptr)},
              {"duration_s", report_seconds(end)},
              {"status", finished_ ? "finished"
                         : ending_ ? "ending"
                                   : "unfinished"}};
    if (const auto& med = tmpl_.dose.medication) // the template's code for its medication
        s["medication"] = {{"system", med->system}, {"code", med->code}, {"display", med->display}};
    const auto wall = start_.value("wall_start_ms", std::int64_t{0});
    if (wall > 0) {
        using namespace std::chrono;
        const int offset = start_.value("utc_offset_min", 0);
        const sys_time<milliseconds> local{milliseconds{wall} + minutes{offset}};
        const auto day = floor<days>(local);
        const year_month_day ymd{day};
        const hh_mm_ss hms{floor<seconds>(local - day)};
        const std::string date = std::to_string(static_cast<int>(ymd.year())) + "-" +
                                 two(static_cast<int>(static_cast<unsigned>(ymd.month()))) + "-" +
                                 two(static_cast<int>(static_cast<unsigned>(ymd.day())));
        const std::string clock = two(static_cast<int>(hms.hours().count())) + ":" +
                                  two(static_cast<int>(hms.minutes().count()));
        const int off = offset < 0 ? -offset : offset;
        s["date"] = date;
        s["clock"] = clock;
        s["started_at"] = date + "T" + clock + ":" + two(static_cast<int>(hms.seconds().count())) +
                          (offset < 0 ? "-" : "+") + two(off / 60) + ":" + two(off % 60);
    }
    Json problems = journal_.problems;
    if (journal_.torn_tail)
        problems.push_back("the journal's last record was torn (power cut?); reported up to it");
    s["journal"] = {{"records", journal_.records.size()},
                    {"torn_tail", journal_.torn_tail},
                    {"problems", problems}};
    return s;
}

Json ReportBuilder::build() {
    clock_ = start_.contains("clock") ? start_["clock"] : Json(nullptr);
    by_ = start_.contains("by") ? start_["by"] : Json(nullptr);
    seq_ = start_.contains("seq") ? start_["seq"] : Json(nullptr);
    row(Ms{0}, "start", tmpl_.name);
    for (const auto& r : journal_.records)
        if (r.value("type", "") == "correct" && r.value("reason", "") == "wrong-time" &&
            r.contains("value") && r["value"].contains("t_s") && r["value"]["t_s"].is_number())
            moved_[r.value("corrects", std::int64_t{0})] =
                Ms{static_cast<Ms::rep>(r["value"]["t_s"].get<double>() * 1000.0 + 0.5)};
    // Commands a resume took back from the state file over a gap count where they happened.
    const std::vector<Json> records = records_with_restored(journal_.records);
    for (std::size_t i = 1; i < records.size(); ++i) {
        const Json& r = records[i];
        if (!r.contains("t") || !r["t"].is_number_integer()) continue;
        const Ms t{r["t"].get<Ms::rep>()};
        last_t_ = std::max(last_t_, t);
        clock_ = r.contains("clock") ? r["clock"] : Json(nullptr);
        by_ = r.contains("by") ? r["by"] : Json(nullptr);
        seq_ = r.contains("seq") ? r["seq"] : Json(nullptr);
        const std::string type = r.value("type", "");
        if (type == "cmd")
            on_command(r, t);
        else if (type == "event")
            on_event(r, t);
        else if (type == "refused")
            row(t, "refused", r.value("cmd", ""), r.value("reason", ""));
        else if (type == "finished") {
            finished_ = t;
            ended_at_ = clock_;
            row(t, "finished");
        }
    }
    const Ms end = finished_.value_or(last_t_);
    finish(end);

    Json report = {{"report_version", kReportVersion}};
    report["session"] = session_json(end);
    report["dose"] = {{"dose_s", report_seconds(dose_)},
                      {"booster_s", report_seconds(booster_)},
                      {"booster_since_dose_s",
                       booster_ && dose_ ? report_seconds(*booster_ - *dose_) : Json(nullptr)},
                      {"clock", nullptr},
                      {"by", nullptr},
                      {"seq", nullptr},
                      {"booster", booster_entry_}};
    if (dose_entry_.is_object())
        for (const auto& [k, v] : dose_entry_.items())
            report["dose"][k] = v;
    report["monitoring_s"] = dose_ && end >= *dose_ ? report_seconds(end - *dose_) : Json(nullptr);
    report["phases"] = phases_json();
    for (Json* rows : {&episodes_, &extensions_, &vitals_, &volume_, &depth_, &skips_, &faults_,
                       &observations_, &music_rows_, &events_})
        add_dose_times(*rows, "at_ms", "since_dose_s");
    for (auto& rem : reminders_) {
        rem["late_s"] = nullptr;
        if (!rem.contains("done_ms")) continue;
        rem["late_s"] =
            report_seconds(Ms{rem["done_ms"].get<Ms::rep>()} - Ms{rem["due_ms"].get<Ms::rep>()});
        rem.erase("done_ms");
    }
    add_dose_times(reminders_, "due_ms", "due_since_dose_s");
    report["episodes"] = episodes_;
    report["extensions"] = extensions_;
    const VitalsAlert& a = tmpl_.vitals_alert;
    report["vitals_alert"] = {{"systolic_max", a.systolic_max},
                              {"diastolic_max", a.diastolic_max},
                              {"hr_min", a.hr_min},
                              {"hr_max", a.hr_max},
                              {"spo2_min", a.spo2_min}};
    report["vitals"] = vitals_;
    report["alerts"] = alerts_;
    report["vitals_trend"] = vitals_trend_;
    report["reminders"] = reminders_;
    report["volume"] = volume_;
    if (!depth_.empty()) report["depth"] = depth_; // only sessions whose depth was changed
    report["music"] = music_rows_;
    report["skips"] = skips_;
    report["faults"] = faults_;
    report["observations_offered"] = tmpl_.observations;
    report["observations"] = observations_;
    report["events"] = events_;
    apply_chart(report, journal_); // corrections, sign-off, outages (report_chart.cpp)
    report_monitoring(report, tmpl_, discharge_); // after the corrections: standing readings
    report["form"] = nullptr;
    if (tmpl_.record)
        if (const FormSpec* form = find_form(*tmpl_.record))
            report["form"] = form->fill(*form, report);

    Json flags = Json::array();
    if (report["form"].is_object() && !report["form"].value("complete", true))
        flags.push_back("form_incomplete");
    bool vitals_flagged = false; // only readings that stand (not corrected away)
    for (const auto& v : report["vitals"])
        vitals_flagged = vitals_flagged || (report_entry_counts(v) && !v["flags"].empty());
    if (vitals_flagged) flags.push_back("vitals_flagged");
    for (const auto& rem : report["reminders"])
        if (rem["done_s"].is_null()) {
            flags.push_back("reminder_missed");
            break;
        }
    for (const auto& e : report["events"])
        if (e["kind"] == "silence" && e["value"].is_number()) {
            flags.push_back("silence");
            break;
        }
    if (!report["outages"].empty()) flags.push_back("outage");
    if (!faults_.empty()) flags.push_back("device_fault");
    if (!finished_) flags.push_back("unfinished");
    if (journal_.torn_tail || !journal_.problems.empty()) flags.push_back("journal_damaged");
    if (report.contains("monitoring") && report["monitoring"]["discharge"].is_null())
        flags.push_back("discharge_missing");
    if (!journal_all_gaps(journal_).empty()) flags.push_back("journal_gap");
    report["flags"] = flags;
    return report;
}

Json build_report(const JournalContents& journal) {
    if (journal.records.empty() || journal.records.front().value("type", "") != "start")
        return {{"error", "the journal has no start record"}};
    const Json& start = journal.records.front();
    Problems problems("journal template");
    std::optional<SessionTemplate> tmpl;
    if (start.contains("template"))
        tmpl = load_template(start["template"], start.value("template_id", "template"), problems,
                             nullptr);
    if (!tmpl)
        return {
            {"error", "the journal's template snapshot cannot be read: " + problems.to_string()}};
    ReportBuilder builder(journal, start, std::move(*tmpl));
    return builder.build();
}

} // namespace stillroom

// The room runtime.
#include "runtime/room.hpp"

#include "engine/restore.hpp"
#include "record/report_store.hpp"
#include "runtime/journal_repair.hpp"
#include "runtime/monitoring.hpp"
#include "runtime/session_views.hpp"
#include "runtime/state_json.hpp"

#include <ctime>
#include <fstream>
#include <iostream>
#include <random>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

std::string read_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

// The room's time zone (room.json "timezone"; the loader has checked the name). A zone
// that cannot be read leaves the record in UTC, and says so.
TimeZone room_zone(const std::string& name) {
    std::string error;
    if (auto zone = TimeZone::load(name, &error)) return std::move(*zone);
    std::cerr << "stillroom: timezone: " << error << "; the record's clock times are in UTC\n";
    return TimeZone{};
}

} // namespace

std::string new_session_id() {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06x%06x", rd() & 0xFFFFFF, rd() & 0xFFFFFF);
    return std::string("s-") + buf;
}

std::uint64_t new_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

Room::Room(Library library, fs::path state_dir, Clock& clock)
    : library_(std::move(library)), state_dir_(std::move(state_dir)), clock_(clock),
      zone_(room_zone(library_.room.timezone)), boot_id_(read_boot_id()) {}

Room::~Room() = default;

Ms Room::session_now() const {
    return clock_.now() - origin_;
}

std::optional<Ms> Room::session_time() const {
    std::lock_guard lock(mutex_);
    if (!session_) return std::nullopt;
    return session_now();
}

void Room::write_anchor() {
    // Machine bookkeeping to bridge a restart: kept beside the journal, not in it, and
    // deleted when the session finishes. Besides the clocks it keeps the seq of the last
    // record written and what the session's record says now (dose, trim, overlays): a
    // journal that loses records resumes with them (runtime/journal_repair.hpp). A snapshot
    // after every record that reaches the disk, written by the anchor writer's own thread
    // (runtime/anchor_writer.hpp): no command waits for its fsync. See docs/engine.md.
    const Ms now = std::max(session_now(), session_->now());
    anchors_.write(anchor_path(state_dir_, session_->id()),
                   {{"boot_id", boot_id_},
                    {"mono_origin_ms", origin_.time_since_epoch().count()},
                    {"wall_origin_ms", clock_.wall_unix_ms() - session_now().count()},
                    {"seq", last_seq_written_},
                    {"record", session_facts(*session_, now)}});
}

std::optional<std::string> Room::resume() {
    std::lock_guard lock(mutex_);
    std::string damage;
    auto path = find_unfinished_journal(state_dir_, &damage);
    if (!damage.empty()) {
        std::cerr << "stillroom: journal: " << damage << "\n";
        journal_damage_ = damage;
    }
    if (!path) return std::nullopt;
    Problems problems(path->string());
    JournalContents contents = read_journal(*path);
    // The state file beside the journal: the clocks, and what the record knew (seq, dose...).
    const Json anchor = read_anchor(state_dir_, path->stem().string());
    if (!contents.damaged.empty()) {
        journal_damage_ = std::to_string(contents.damaged.size()) +
                          " damaged journal record(s) skipped on resume (" +
                          contents.damaged.front() + "); check the session's marks";
        std::cerr << "stillroom: journal: " << journal_damage_ << "\n";
    }
    // A journal from before sessions kept their scenes: the lights take the library's scenes.
    // Records lost from the journal (a gap in seq, a cut end, a damaged line) are taken back
    // from the state file where it knows them.
    JournalRepair repair;
    auto restored = restore_with_repair(
        contents, anchor, problems,
        [this](const SessionTemplate& t) { return library_.session_scenes(t); }, &repair);
    if (!restored) {
        std::cerr << "stillroom: cannot resume " << path->string() << ":\n" << problems.to_string();
        return std::nullopt;
    }
    for (const auto& w : restored->warnings)
        std::cerr << "stillroom: resume: " << w << "\n";
    if (!repair.summary.empty()) {
        journal_damage_ = (journal_damage_.empty() ? "" : journal_damage_ + "; ") + repair.summary;
        std::cerr << "stillroom: journal: " << repair.summary << "\n";
    } else if (const auto gaps = journal_all_gaps(contents); !gaps.empty()) {
        journal_damage_ = (journal_damage_.empty() ? "" : journal_damage_ + "; ") +
                          "journal records were lost before an earlier restart (" +
                          describe_gaps(gaps) + "); check the session's marks";
    }
    resume_note_ = restored->scenes_from_library
                       ? "resumed without a scene snapshot (an older journal): the lights follow "
                         "the library's scenes as they are now"
                       : "";
    session_ = std::move(restored->session);
    entries_.clear();
    for (const auto& r : contents.records)
        entries_.on_record(r);
    // Numbering continues after the highest seq in the journal (a journal from before seq:
    // after its records, so no number is given twice) or in the state file (records it saw
    // written and the journal lost: their numbers stay a gap).
    last_seq_written_ =
        std::max(last_journal_seq(contents),
                 anchor.is_object() ? anchor.value("seq", std::int64_t{0}) : std::int64_t{0});
    last_seq_ = std::max(static_cast<std::int64_t>(contents.records.size()), last_seq_written_);
    // Where is "now" in session time? Same boot: the monotonic clock says exactly.
    // After a reboot (power cut): the wall clock bridges the gap.
    Ms now_in_session = restored->last_record;
    if (anchor.is_object()) {
        if (anchor.value("boot_id", "") == boot_id_) {
            now_in_session =
                clock_.now().time_since_epoch() - Ms{anchor.value("mono_origin_ms", Ms::rep{0})};
        } else {
            now_in_session =
                Ms{clock_.wall_unix_ms() - anchor.value("wall_origin_ms", std::int64_t{0})};
        }
    }
    now_in_session = std::max(now_in_session, restored->last_record);
    origin_ = clock_.now() - now_in_session;
    std::string error;
    journal_ = JournalWriter::open(*path, &error);
    if (!journal_) journal_fault_ = error;
    // Catch up quietly (missed cues are not replayed into the room), then reconcile.
    session_->advance_to(now_in_session);
    start_vitals_locked(now_in_session);
    const DesiredState desired = session_->desired_state(now_in_session);
    for (auto* d : drivers_)
        d->reconcile(desired, clock_.now());
    if (journal_) {
        Json resumed = {{"type", "event"}, {"t", now_in_session.count()}, {"event", "resumed"}};
        if (restored->scenes_from_library)
            resumed["scenes"] = "library"; // no snapshot in the journal
        // The gap and what was taken back from the state file, for later resumes and the report.
        if (!repair.gap.is_null()) resumed["gap"] = repair.gap;
        queue_record(std::move(resumed));
    }
    write_anchor();
    notify();
    return session_->id();
}

CommandResult Room::start(const StartRequest& request) {
    return start_by(request, "schedule");
}

CommandResult Room::start_by(const StartRequest& request, const std::string& by) {
    std::lock_guard lock(mutex_);
    acting_by_ = by;
    struct Done {
        std::string& by;
        ~Done() { by.clear(); }
    } done{acting_by_};
    if (session_ && session_->status() != SessionStatus::Finished)
        return {false, 409, "a session is already running (" + session_->id() + ")",
                state_locked()};
    if (library_has_errors_)
        return {false, 409,
                "the library has errors and no earlier library loaded cleanly: no session "
                "starts until the curator fixes them",
                state_locked()};
    auto setup =
        library_.make_setup(request.template_id, new_session_id(), request.label, new_seed());
    if (!setup)
        return {false, 404, "no session template \"" + request.template_id + "\"", state_locked()};
    setup->wall_start_ms = clock_.wall_unix_ms();
    setup->utc_offset_min = zone_.offset_min(setup->wall_start_ms);
    std::string error;
    auto journal = JournalWriter::open(journal_path(state_dir_, setup->id), &error);
    if (!journal) return {false, 500, "cannot write the journal: " + error, state_locked()};
    // The state dir's own record of the running session: what a restart resumes.
    if (!write_current_session(state_dir_, setup->id, &error)) {
        std::error_code ec;
        fs::remove(journal->path(), ec);
        return {false, 503, "cannot record the new session in the state dir: " + error,
                state_locked()};
    }
    journal_ = std::move(journal);
    journal_fault_.clear();
    journal_damage_.clear();
    resume_note_.clear();
    held_records_.clear();
    dropped_records_ = 0;
    last_seq_ = 0;
    refusals_.reset();
    entries_.clear();
    last_seq_written_ = 0;
    session_ = std::make_unique<Session>(std::move(*setup));
    origin_ = clock_.now();
    // The first anchor (the clock origins) is on disk before the start record: every journal
    // a restart finds has the clocks that bridge the time down. The later ones lag at most.
    write_anchor();
    anchors_.flush();
    start_vitals_locked(Ms{0});
    dispatch(session_->start());
    acting_by_.clear(); // device health from here on is the room's own
    device_ok_.clear();
    journal_device_health();
    notify();
    clock_.wake();
    return {true, 200, "", state_locked()};
}

namespace {

bool acts_without_journal(const Command& cmd) {
    // What keeps the patient safe acts even when it cannot be recorded: Lights up (a medical
    // check), Volume − and a file the audio driver cannot play (the music moves on).
    return (cmd.kind == CommandKind::LightsUp && cmd.on) ||
           (cmd.kind == CommandKind::Volume && cmd.volume_how == VolumeHow::Step && cmd.db < 0) ||
           cmd.kind == CommandKind::TrackFailed;
}

} // namespace

CommandResult Room::command(const Command& cmd) {
    return command_by(cmd, "schedule");
}

CommandResult Room::command_by(const Command& cmd, const std::string& by) {
    std::lock_guard lock(mutex_);
    acting_by_ = by;
    struct Done {
        std::string& by;
        ~Done() { by.clear(); }
    } done{acting_by_};
    if (!session_) return {false, 409, "no session is running", state_locked()};
    const bool safety = acts_without_journal(cmd);
    auto cannot_keep = [&] {
        return "not done: the journal cannot be written (" + journal_fault_ +
               "), and a command the record cannot keep is not carried out. Lights up and "
               "Volume − still act.";
    };
    const Ms now = session_now();
    if (!safety) {
        // Time first (phase ends, cues due): journaled and acted on like a tick, whatever
        // becomes of the command. Then records held from earlier (the disk was full) must be
        // written, or the command is refused.
        if (Effects due = session_->advance_to(now); !due.empty()) dispatch(due);
        if (!held_records_.empty() && !write_held_records())
            return {false, 503, cannot_keep(), state_locked()};
    }
    if (cmd.kind == CommandKind::Discharge)
        if (auto why = discharge_refusal(*session_, entries_.to_json()); !why.empty()) {
            // Refused by the checklist (runtime/monitoring.hpp), journaled like the session's own.
            Effects refused = {{now, JournalRecord{{{"type", "refused"},
                                                    {"t", now.count()},
                                                    {"cmd", "discharge"},
                                                    {"reason", why}}}}};
            budget_refusals_locked(refused, by);
            std::int64_t seq = 0;
            queue_records(refused, &seq);
            notify();
            return {false, 409, why, state_locked(), seq};
        }
    std::optional<Session> before;
    if (!safety) before.emplace(*session_); // taken back if its record cannot be written
    Outcome outcome = session_->apply(cmd, now);
    budget_refusals_locked(outcome.effects, by); // a flood of refusals: a bounded trace
    const std::size_t held_before = held_records_.size();
    const std::int64_t seq_before = last_seq_;
    std::int64_t seq = 0;
    const bool written = queue_records(outcome.effects, &seq);
    const auto queued = static_cast<std::size_t>(last_seq_ - seq_before);
    // Not one of its records reached the disk: the command is not done.
    if (!written && before && outcome.accepted && held_records_.size() == held_before + queued) {
        held_records_.erase(held_records_.begin() + static_cast<std::ptrdiff_t>(held_before),
                            held_records_.end());
        last_seq_ = seq_before; // never written: the numbers are given again
        *session_ = std::move(*before);
        notify();
        return {false, 503, cannot_keep(), state_locked()};
    }
    act(outcome.effects);
    notify();
    clock_.wake();
    std::string message = outcome.reason;
    if (outcome.accepted && !held_records_.empty())
        message = "done, but not yet on disk: " + journal_fault_ +
                  " (the room acts; the record is held in memory and written when space returns)";
    const int status = outcome.accepted ? 200 : outcome.bad_input ? 400 : 409;
    return {outcome.accepted, status, message, state_locked(), seq};
}

void Room::tick() {
    std::lock_guard lock(mutex_);
    if (!held_records_.empty() && write_held_records()) notify(); // space came back
    if (!session_ || session_->status() == SessionStatus::Finished) return;
    journal_due_refusals_locked();
    const bool health_changed = journal_device_health();
    const bool vitals_changed = take_vitals_locked();
    Effects effects = session_->advance_to(session_now());
    if (effects.empty()) {
        // The clocks on the tablets are extrapolated from a state: one at least every 5 s
        // (real time) keeps them honest between events.
        const std::int64_t wall = clock_.wall_unix_ms();
        if (health_changed || vitals_changed || wall - last_notify_wall_ms_ >= 4000 ||
            wall < last_notify_wall_ms_)
            notify();
        return;
    }
    dispatch(effects);
    notify();
}

Json Room::media_health_locked() const {
    // Files that failed to play: out of their playlists until their next try.
    Json files = Json::array();
    std::string first;
    const Ms now = session_ ? std::max(session_now(), session_->now()) : Ms{0};
    if (session_)
        for (const auto& [file, f] : session_->media_faults()) {
            if (!f.retry_at) continue; // back on trial
            const auto in_s =
                std::chrono::duration_cast<std::chrono::seconds>(std::max(*f.retry_at - now, Ms{0}))
                    .count();
            files.push_back({{"file", file}, {"failures", f.failures}, {"retry_in_s", in_s}});
            if (first.empty())
                first = file + " cannot be played; next try in " + std::to_string(in_s) + " s";
        }
    if (files.empty()) return {{"ok", true}, {"detail", "every track plays"}, {"files", files}};
    return {{"ok", false},
            {"detail", files.size() == 1 ? first
                                         : std::to_string(files.size()) +
                                               " files cannot be played (" + first + ")"},
            {"files", files}};
}

bool Room::journal_device_health() {
    if (!session_ || !journal_) return false;
    bool changed = false;
    std::vector<std::pair<std::string, Json>> healths;
    for (auto* d : drivers_)
        healths.emplace_back(d->name(), d->health());
    healths.emplace_back("media", media_health_locked());
    for (const auto& [name, h] : healths) {
        const bool ok = h.value("ok", true);
        auto it = device_ok_.find(name);
        if (it != device_ok_.end() && it->second == ok) continue;
        const bool first = it == device_ok_.end();
        device_ok_[name] = ok;
        if (first && ok) continue; // healthy from the start: nothing to record
        Json record = {{"type", "event"},
                       {"t", std::max(session_now(), session_->now()).count()},
                       {"event", "device"},
                       {"device", name},
                       {"ok", ok}};
        if (!ok && h.contains("detail") && h["detail"].is_string()) record["detail"] = h["detail"];
        queue_record(std::move(record)); // in order behind anything held
        changed = true;
    }
    return changed;
}

void Room::apply_retention() {
    std::lock_guard lock(mutex_);
    const std::chrono::system_clock::time_point now{Ms{clock_.wall_unix_ms()}};
    const std::string keep = session_ ? session_->id() : std::string{};
    const int deleted =
        delete_expired_journals(state_dir_, now, library_.room.retention_days, keep);
    if (deleted > 0)
        std::cerr << "stillroom: deleted " << deleted << " session journal(s) older than "
                  << library_.room.retention_days << " days\n";
    next_retention_ = clock_.now() + std::chrono::hours{24};
}

void Room::run(const std::atomic<bool>& stop, const std::function<void()>& each_turn,
               Ms turn_every) {
    while (!stop.load()) {
        if (clock_.now() >= next_retention_) apply_retention();
        tick();
        if (each_turn) each_turn();
        MonoTime next = clock_.now() + std::min(turn_every, Ms{1000});
        {
            std::lock_guard lock(mutex_);
            if (session_) {
                if (auto due = session_->next_due()) next = std::min(next, origin_ + *due);
            }
        }
        clock_.wait_until(next);
    }
}

void Room::stamp_record(Json& record) {
    record["seq"] = ++last_seq_;
    // Who and when (docs/report.md): the wall clock is recorded, never used to schedule.
    record["clock"] = clock_now();
    if (!record.contains("by")) record["by"] = acting_by_.empty() ? "schedule" : acting_by_;
    entries_.on_record(record);
}

std::int64_t Room::queue_record(Json record) {
    if (!journal_) return 0;
    stamp_record(record);
    constexpr std::size_t kMaxHeldRecords = 50000; // hours of commands; bounded memory
    if (held_records_.size() < kMaxHeldRecords)
        held_records_.push_back(std::move(record));
    else
        ++dropped_records_; // its seq stays unused: the gap shows the loss
    write_held_records();
    return last_seq_;
}

std::int64_t Room::dispatch(const Effects& effects) {
    std::int64_t command_seq = 0;
    queue_records(effects, &command_seq);
    act(effects);
    return command_seq;
}

bool Room::queue_records(const Effects& effects, std::int64_t* command_seq) {
    // The session's last records: the refusals still held back go in before them, so every
    // refusal is counted and nothing follows the end.
    for (const auto& e : effects)
        if (std::holds_alternative<SessionFinished>(e.body) && session_) {
            journal_due_refusals_locked(true);
            break;
        }
    bool any = false;
    bool given = false; // the command's (or start's) own record has been queued
    *command_seq = 0;
    for (const auto& e : effects) {
        const auto* record = std::get_if<JournalRecord>(&e.body);
        if (!record || !journal_) continue;
        Json r = record->record;
        const std::string type = r.value("type", "");
        given = given || type == "cmd" || type == "refused" || type == "start";
        // What fell due before the command (a cue, a phase's end) is the schedule's.
        if (!given) r["by"] = "schedule";
        stamp_record(r);
        if (*command_seq == 0 && (type == "cmd" || type == "refused")) *command_seq = last_seq_;
        constexpr std::size_t kMaxHeldRecords = 50000; // hours of commands; bounded memory
        if (held_records_.size() < kMaxHeldRecords)
            held_records_.push_back(std::move(r));
        else
            ++dropped_records_; // its seq stays unused: the gap shows the loss
        any = true;
    }
    return !any || write_held_records();
}

void Room::act(const Effects& effects) {
    for (const auto& e : effects) {
        if (std::holds_alternative<JournalRecord>(e.body)) continue; // queue_records wrote it
        if (std::holds_alternative<SessionFinished>(e.body) && session_) {
            anchors_.remove(anchor_path(state_dir_, session_->id())); // after any write to it
            clear_current_session(state_dir_, session_->id());
            if (journal_ && held_records_.empty()) journal_->release_preallocation();
        }
        if (const auto* r = std::get_if<Reminder>(&e.body))
            for (auto& l : reminder_listeners_)
                l(*r);
        for (auto* d : drivers_)
            d->apply(e, origin_ + e.at);
    }
}

bool Room::write_held_records() {
    std::string error;
    bool wrote = false;
    struct AnchorAfter { // the state file follows every record that reached the disk
        Room& room;
        bool& wrote;
        ~AnchorAfter() {
            if (wrote && room.session_ && room.session_->status() != SessionStatus::Finished)
                room.write_anchor();
        }
    } anchor_after{*this, wrote};
    while (journal_ && !held_records_.empty()) {
        if (!journal_->append(held_records_.front(), &error)) {
            // The session goes on; the tablet shows the fault (disk full) and commands say
            // that they acted but are not yet on disk.
            if (journal_fault_.empty()) std::cerr << "stillroom: journal: " << error << "\n";
            journal_fault_ =
                error + "; " + std::to_string(held_records_.size()) +
                " records held in memory, written when space returns" +
                (dropped_records_ ? " (" + std::to_string(dropped_records_) + " lost)" : "");
            return false;
        }
        if (const auto seq = held_records_.front().find("seq");
            seq != held_records_.front().end() && seq->is_number_integer())
            last_seq_written_ = std::max(last_seq_written_, seq->get<std::int64_t>());
        held_records_.pop_front();
        wrote = true;
    }
    if (!journal_fault_.empty() && journal_) {
        std::cerr << "stillroom: journal: written again; nothing held" << std::endl;
        journal_fault_.clear();
    }
    return true;
}

void Room::notify() {
    last_notify_wall_ms_ = clock_.wall_unix_ms();
    if (listeners_.empty()) return;
    const Json s = state_locked();
    for (auto& l : listeners_)
        l(s);
}

Json Room::state_locked() const {
    Json devices = Json::array();
    for (auto* d : drivers_) {
        Json h = d->health();
        h["id"] = d->name();
        devices.push_back(h);
    }
    if (session_) {
        Json media = media_health_locked();
        media["id"] = "media";
        devices.push_back(std::move(media));
    }
    devices.push_back({{"id", "journal"},
                       {"ok", journal_fault_.empty() && journal_damage_.empty()},
                       {"detail", !journal_fault_.empty()    ? journal_fault_
                                  : !journal_damage_.empty() ? journal_damage_
                                                             : "writing"}});
    Json session = nullptr;
    if (session_) {
        const Ms now = std::max(session_now(), session_->now());
        session = session_state_json(*session_, session_->desired_state(now));
        if (session_->status() == SessionStatus::Finished)
            session["summary"] = session_summary_json(*session_, now);
        session["observations"] = session_->setup().tmpl.observations; // the tablet's buttons
        if (!resume_note_.empty()) session["notes"] = Json::array({resume_note_});
        session["entries"] = entries_.to_json(); // clinical entries with their seq
        session["signed"] = entries_.signed_by();
        // The monitoring clock and discharge checklist (runtime/monitoring.hpp).
        session["monitoring"] =
            monitoring_state_json(*session_, session["entries"], entries_.discharged(), now);
        // Records the journal lost (damaged, missing, cut) and what the state file kept.
        session["journal_damage"] = journal_damage_.empty() ? Json(nullptr) : Json(journal_damage_);
        vitals_state_locked(session);
    }
    Json templates = Json::array();
    for (const auto& [id, t] : library_.templates)
        templates.push_back({{"id", id}, {"name", t.name}});
    return {{"room", {{"id", library_.room.room}, {"name", library_.room.name}}},
            {"library",
             {{"in_force", library_in_force_},
              {"version", library_.version},
              {"problems", library_problems_},
              {"layer_faults", library_layer_faults_}}},
            {"session", session},
            {"templates", templates},
            {"devices", devices}};
}

void Room::layer_fault(const std::string& file, const std::string& piece, const std::string& why) {
    std::lock_guard lock(mutex_);
    constexpr std::size_t kMaxLayerFaults = 32;
    for (const auto& f : library_layer_faults_)
        if (f.value("file", "") == file) return; // already told
    if (library_layer_faults_.size() >= kMaxLayerFaults) return;
    library_layer_faults_.push_back({{"file", file}, {"piece", piece}, {"error", why}});
    notify();
}

void Room::set_library(Library library) {
    std::lock_guard lock(mutex_);
    // A saved change: the broken layers are tried afresh (a reload that only takes new
    // loudness measurements keeps them).
    if (library.version != library_.version) library_layer_faults_ = Json::array();
    library_ = std::move(library);
    library_in_force_ = "disk"; // only a library without errors is ever set here
    library_problems_ = Json::array();
    library_has_errors_ = false;
    zone_ = room_zone(library_.room.timezone);
    notify();
}

void Room::set_library_status(std::string in_force, Json problems, bool in_force_has_errors) {
    std::lock_guard lock(mutex_);
    library_in_force_ = std::move(in_force);
    library_problems_ = problems.is_array() ? std::move(problems) : Json::array();
    library_has_errors_ = in_force_has_errors;
    notify();
}

void Room::library_rejected(Json problems) {
    std::lock_guard lock(mutex_);
    // The library in force is no longer the disk's: it is the last one that loaded cleanly
    // (unless the room started on a broken one and never had a clean one).
    if (!library_has_errors_) library_in_force_ = "last-good";
    library_problems_ = problems.is_array() ? std::move(problems) : Json::array();
    notify();
}

std::optional<DesiredState> Room::desired_now() const {
    std::lock_guard lock(mutex_);
    if (!session_) return std::nullopt;
    return session_->desired_state(std::max(session_now(), session_->now()));
}

Json Room::timeline() const {
    std::lock_guard lock(mutex_);
    if (!session_) return nullptr;
    return session_timeline_json(*session_, std::max(session_now(), session_->now()), library_);
}

Json Room::summary() const {
    std::lock_guard lock(mutex_);
    if (!session_) return nullptr;
    return session_summary_json(*session_, std::max(session_now(), session_->now()));
}

Json Room::state() const {
    std::lock_guard lock(mutex_);
    return state_locked();
}

std::optional<std::string> Room::session_uses_file(const std::string& relative) const {
    const std::string want = fs::path(relative).lexically_normal().generic_string();
    auto same = [&](const std::string& f) {
        return fs::path(f).lexically_normal().generic_string() == want;
    };
    std::lock_guard lock(mutex_);
    if (!session_ || session_->status() == SessionStatus::Finished) return std::nullopt;
    const std::string running = "the running session (" + session_->id() + ") ";
    for (const auto& [id, p] : session_->setup().playlists)
        for (const auto& t : p.tracks)
            if (same(t.file)) return running + "plays it in playlist \"" + id + "\"";
    for (const auto& c : session_->setup().tmpl.cues)
        if (c.sound && same(*c.sound)) return running + "plays it as a cue's sound";
    return std::nullopt;
}

} // namespace stillroom

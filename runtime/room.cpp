// The room runtime.
#include "runtime/room.hpp"

#include "engine/report_store.hpp"
#include "engine/restore.hpp"
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

fs::path anchor_path(const fs::path& state_dir, const std::string& id) {
    return state_dir / "sessions" / (id + ".anchor");
}

// Minutes east of UTC for the local time zone at `unix_ms` (the report's clock time).
int utc_offset_min(std::int64_t unix_ms) {
    const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
    std::tm local{};
    if (!localtime_r(&secs, &local)) return 0;
    return static_cast<int>(local.tm_gmtoff / 60);
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
      boot_id_(read_boot_id()) {}

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
    // deleted when the session finishes. See docs/engine.md.
    const Json anchor = {{"boot_id", boot_id_},
                         {"mono_origin_ms", origin_.time_since_epoch().count()},
                         {"wall_origin_ms", clock_.wall_unix_ms() - session_now().count()}};
    const fs::path path = anchor_path(state_dir_, session_->id());
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << dump_json(anchor) << "\n";
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
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
    const JournalContents contents = read_journal(*path);
    if (!contents.damaged.empty()) {
        journal_damage_ = std::to_string(contents.damaged.size()) +
                          " damaged journal record(s) skipped on resume (" +
                          contents.damaged.front() + "); check the session's marks";
        std::cerr << "stillroom: journal: " << journal_damage_ << "\n";
    }
    // A journal from before sessions kept their scenes: the lights take the library's scenes.
    auto restored = restore_session(contents, problems, [this](const SessionTemplate& t) {
        return library_.session_scenes(t);
    });
    if (!restored) {
        std::cerr << "stillroom: cannot resume " << path->string() << ":\n" << problems.to_string();
        return std::nullopt;
    }
    for (const auto& w : restored->warnings)
        std::cerr << "stillroom: resume: " << w << "\n";
    resume_note_ = restored->scenes_from_library
                       ? "resumed without a scene snapshot (an older journal): the lights follow "
                         "the library's scenes as they are now"
                       : "";
    session_ = std::move(restored->session);
    // Where is "now" in session time? Same boot: the monotonic clock says exactly.
    // After a reboot (power cut): the wall clock bridges the gap.
    Ms now_in_session = restored->last_record;
    std::ifstream in(anchor_path(state_dir_, session_->id()));
    Json anchor = Json::parse(in, nullptr, false);
    if (!anchor.is_discarded() && anchor.is_object()) {
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
    write_anchor();
    // Catch up quietly (missed cues are not replayed into the room), then reconcile.
    session_->advance_to(now_in_session);
    const DesiredState desired = session_->desired_state(now_in_session);
    for (auto* d : drivers_)
        d->reconcile(desired, clock_.now());
    if (journal_) {
        Json resumed = {{"type", "event"}, {"t", now_in_session.count()}, {"event", "resumed"}};
        if (restored->scenes_from_library)
            resumed["scenes"] = "library"; // no snapshot in the journal
        journal_->append(resumed, &error);
    }
    notify();
    return session_->id();
}

CommandResult Room::start(const StartRequest& request) {
    std::lock_guard lock(mutex_);
    if (session_ && session_->status() != SessionStatus::Finished)
        return {false, 409, "a session is already running (" + session_->id() + ")",
                state_locked()};
    auto setup =
        library_.make_setup(request.template_id, new_session_id(), request.label, new_seed());
    if (!setup)
        return {false, 404, "no session template \"" + request.template_id + "\"", state_locked()};
    setup->wall_start_ms = clock_.wall_unix_ms();
    setup->utc_offset_min = utc_offset_min(setup->wall_start_ms);
    std::string error;
    auto journal = JournalWriter::open(journal_path(state_dir_, setup->id), &error);
    if (!journal) return {false, 500, "cannot write the journal: " + error, state_locked()};
    journal_ = std::move(journal);
    journal_fault_.clear();
    journal_damage_.clear();
    resume_note_.clear();
    held_records_.clear();
    dropped_records_ = 0;
    session_ = std::make_unique<Session>(std::move(*setup));
    origin_ = clock_.now();
    write_anchor();
    dispatch(session_->start());
    device_ok_.clear();
    journal_device_health();
    notify();
    clock_.wake();
    return {true, 200, "", state_locked()};
}

CommandResult Room::command(const Command& cmd) {
    std::lock_guard lock(mutex_);
    if (!session_) return {false, 409, "no session is running", state_locked()};
    Outcome outcome = session_->apply(cmd, session_now());
    dispatch(outcome.effects);
    notify();
    clock_.wake();
    std::string message = outcome.reason;
    if (outcome.accepted && !held_records_.empty())
        message =
            "done, but not yet on disk: " + journal_fault_; // the policy: act, hold, write later
    return {outcome.accepted, outcome.accepted ? 200 : 409, message, state_locked()};
}

void Room::tick() {
    std::lock_guard lock(mutex_);
    if (!held_records_.empty() && write_held_records()) notify(); // space came back
    if (!session_ || session_->status() == SessionStatus::Finished) return;
    const bool health_changed = journal_device_health();
    Effects effects = session_->advance_to(session_now());
    if (effects.empty()) {
        if (health_changed) notify();
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
        held_records_.push_back(std::move(record)); // in order behind anything held
        write_held_records();
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

void Room::dispatch(const Effects& effects) {
    for (const auto& e : effects) {
        if (const auto* record = std::get_if<JournalRecord>(&e.body)) {
            if (!journal_) continue;
            constexpr std::size_t kMaxHeldRecords = 50000; // hours of commands; bounded memory
            if (held_records_.size() < kMaxHeldRecords)
                held_records_.push_back(record->record);
            else
                ++dropped_records_;
            write_held_records();
            continue;
        }
        if (std::holds_alternative<SessionFinished>(e.body)) {
            std::error_code ec;
            if (session_) fs::remove(anchor_path(state_dir_, session_->id()), ec);
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
        held_records_.pop_front();
    }
    if (!journal_fault_.empty() && journal_) {
        std::cerr << "stillroom: journal: written again; nothing held" << std::endl;
        journal_fault_.clear();
    }
    return true;
}

void Room::notify() {
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
    }
    Json templates = Json::array();
    for (const auto& [id, t] : library_.templates)
        templates.push_back({{"id", id}, {"name", t.name}});
    return {{"room", {{"id", library_.room.room}, {"name", library_.room.name}}},
            {"library", {{"version", library_.version}}},
            {"session", session},
            {"templates", templates},
            {"devices", devices}};
}

void Room::set_library(Library library) {
    std::lock_guard lock(mutex_);
    library_ = std::move(library);
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

} // namespace stillroom

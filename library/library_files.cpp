// Library files over the API.
#include "library/library_files.hpp"

#include "engine/file_ops.hpp"
#include "engine/library_path.hpp"

#include "playlists/loudness.hpp"
#include "playlists/loudness_worker.hpp"
#include "playlists/sndfile.hpp"

#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

std::optional<FileKind> file_kind_from_path(const std::string& s) {
    if (s == "playlists") return FileKind::Playlist;
    if (s == "scenes") return FileKind::Scene;
    if (s == "sessions") return FileKind::Session;
    if (s == "room") return FileKind::Room;
    return std::nullopt;
}

bool write_file_atomically(const fs::path& path, const std::string& text, std::string* error,
                           unsigned mode) {
    const fs::path tmp = path.string() + ".tmp";
    const int fd =
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        if (error) *error = "cannot write " + tmp.string();
        return false;
    }
    ::fchmod(fd,
             static_cast<mode_t>(mode)); // a temp file left by a crash keeps its old mode otherwise
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = file_ops().write(fd, text.data() + done, text.size() - done);
        if (n <= 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            if (error) *error = "cannot write " + tmp.string() + " (disk full?)";
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    const bool synced = file_ops().fsync(fd) == 0;
    ::close(fd);
    if (!synced || file_ops().rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        if (error) *error = "cannot replace " + path.string();
        return false;
    }
    const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return true;
}

LibraryFiles::LibraryFiles(fs::path dir, std::function<Json()> on_saved)
    : dir_(std::move(dir)), on_saved_(std::move(on_saved)) {}

fs::path LibraryFiles::path_of(FileKind kind, const std::string& name) const {
    switch (kind) {
    case FileKind::Playlist:
        return dir_ / "playlists" / (name + ".json");
    case FileKind::Scene:
        return dir_ / "scenes" / (name + ".json");
    case FileKind::Session:
        return dir_ / "sessions" / (name + ".json");
    case FileKind::Room:
        return dir_ / "room.json";
    }
    return dir_ / "room.json";
}

namespace {

const char* folder(FileKind k) {
    switch (k) {
    case FileKind::Playlist:
        return "playlists";
    case FileKind::Scene:
        return "scenes";
    case FileKind::Session:
        return "sessions";
    case FileKind::Room:
        return "";
    }
    return "";
}

} // namespace

Json problems_json(const Problems& p) {
    Json list = Json::array();
    for (const auto& pr : p.list())
        list.push_back({{"file", pr.file},
                        {"path", pr.path},
                        {"message", pr.message},
                        {"severity", pr.severity == Severity::Error ? "error" : "warning"},
                        {"text", pr.to_string()}});
    return list;
}

Json library_errors_json(const Problems& p) {
    Problems errors;
    for (const auto& pr : p.list())
        if (pr.severity == Severity::Error) errors.add(pr);
    return problems_json(errors);
}

std::string LibraryFiles::rel_of(FileKind kind, const std::string& name) const {
    return kind == FileKind::Room ? std::string("room.json")
                                  : std::string(folder(kind)) + "/" + name + ".json";
}

FileResult LibraryFiles::list(FileKind kind) const {
    if (kind == FileKind::Room) return get(kind, "room");
    Json items = Json::array();
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ / folder(kind), ec))
        if (e.path().extension() == ".json" && is_valid_id(e.path().stem().string()))
            names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        Problems p;
        auto j =
            read_library_json(dir_, rel_of(kind, n), p); // a link out of the library: just its id
        items.push_back({{"id", n}, {"name", j && j->is_object() ? j->value("name", n) : n}});
    }
    return {200, {{"items", items}}};
}

FileResult LibraryFiles::get(FileKind kind, const std::string& name) const {
    if (kind != FileKind::Room && !is_valid_id(name))
        return {400, {{"error", "a name is letters, digits, '-' or '_'"}}};
    const fs::path path = path_of(kind, name);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) return {404, {{"error", "no such file"}}};
    std::string why;
    if (!resolve_in_library(dir_, rel_of(kind, name), &why))
        return {403, {{"error", rel_of(kind, name) + " " + why}}};
    Problems p(rel_of(kind, name));
    auto j = read_library_json(dir_, rel_of(kind, name), p);
    if (!j)
        return {
            500,
            {{"error", "the file on disk cannot be read as JSON"}, {"problems", problems_json(p)}}};
    return {200, *j};
}

namespace {

// The room's audio rate as room.json on disk gives it (48 kHz when it cannot be read): the
// rate the layers of a piece must be of one length at.
int room_rate_on_disk(const fs::path& dir) {
    Problems ignored("room.json");
    if (auto json = read_library_json(dir, "room.json", ignored))
        if (auto room = load_room_config(*json, ignored)) return room->sample_rate();
    return RoomConfig{}.sample_rate();
}

} // namespace

FileResult LibraryFiles::put(FileKind kind, const std::string& name, const std::string& body) {
    if (kind != FileKind::Room && !is_valid_id(name))
        return {400, {{"error", "a name is letters, digits, '-' or '_'"}}};
    const std::string rel =
        kind == FileKind::Room ? "room.json" : std::string(folder(kind)) + "/" + name + ".json";
    Problems problems(rel);
    auto json = parse_json_text(body, problems);
    std::lock_guard lock(mutex_);
    if (json) {
        // Validate in the context of the whole library, exactly as a load would; only scenes
        // (light ids) and templates (references) need the rest of it.
        auto context = [this] {
            Problems ignored;
            return load_library(dir_, ignored, loudness_);
        };
        switch (kind) {
        case FileKind::Playlist: {
            auto pl = load_playlist(*json, name, problems);
            if (pl) {
                // With the daemon's worker: loudness warnings too ("pending", "longer than
                // 2 h"), never a measurement here. Without one: lengths only.
                LoudnessCache cache(dir_, loudness_);
                playlist_info(*pl, dir_, problems, loudness_ ? &cache : nullptr,
                              room_rate_on_disk(dir_));
            } else if (json->is_object() && json->contains("tracks") &&
                       (*json)["tracks"].is_array()) {
                // Every problem at once: the files too, even when other keys are wrong.
                const Json& tracks = (*json)["tracks"];
                for (std::size_t i = 0; i < tracks.size(); ++i) {
                    if (!tracks[i].is_object() || !tracks[i].contains("file") ||
                        !tracks[i]["file"].is_string())
                        continue;
                    const std::string file = tracks[i]["file"].get<std::string>();
                    std::string error;
                    const auto resolved = resolve_in_library(dir_, file, &error);
                    if (!resolved || !probe_audio(*resolved, &error))
                        problems.error(json_path_key(json_path_index("tracks", i), "file"),
                                       "\"" + file + "\" cannot be played: " + error);
                }
            }
            break;
        }
        case FileKind::Scene: {
            const auto ids = context().room.light_ids();
            load_scene(*json, name, problems, &ids);
            break;
        }
        case FileKind::Session: {
            const Library lib = context();
            const LibraryRefs refs = lib.refs();
            load_template(*json, name, problems, &refs);
            break;
        }
        case FileKind::Room:
            load_room_config(*json, problems);
            break;
        }
    }
    if (problems.has_errors())
        return {400,
                {{"error", "the file has problems; nothing was changed"},
                 {"problems", problems_json(problems)}}};
    const std::string text = json->dump(2) + "\n";
    if (add_library_errors(rel, text, problems))
        return {400,
                {{"error", "the library would have errors with this file; nothing was changed"},
                 {"problems", problems_json(problems)}}};
    std::error_code ec;
    fs::create_directories(path_of(kind, name).parent_path(), ec);
    std::string error;
    if (!write_file_atomically(path_of(kind, name), text, &error)) return {500, {{"error", error}}};
    Json answer = {{"ok", true}, {"warnings", problems_json(problems)}};
    if (on_saved_) {
        const Json applied = on_saved_();
        if (applied.is_object()) answer.update(applied);
    }
    // Loudness is measured after the answer: say which files are still waiting for it.
    if (loudness_) answer["analysis"] = {{"pending", loudness_->pending()}};
    return {200, answer};
}

FileResult LibraryFiles::remove_playlist(const std::string& name) {
    if (!is_valid_id(name)) return {400, {{"error", "a name is letters, digits, '-' or '_'"}}};
    const std::string rel = rel_of(FileKind::Playlist, name);
    std::lock_guard lock(mutex_);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path_of(FileKind::Playlist, name), ec)))
        return {404, {{"error", "no such playlist: " + rel}}};
    Problems ignored;
    const Library lib = load_library(dir_, ignored, loudness_);
    Json used_by = Json::array();
    std::string where;
    for (const auto& [id, tmpl] : lib.templates) {
        std::vector<std::string> spots;
        for (const auto& ph : tmpl.phases)
            if (ph.playlist && *ph.playlist == name) spots.push_back("phase " + ph.id);
        for (std::size_t i = 0; i < tmpl.cues.size(); ++i)
            if (tmpl.cues[i].playlist && *tmpl.cues[i].playlist == name)
                spots.push_back("cues[" + std::to_string(i) + "]");
        if (tmpl.comfort.playlist && *tmpl.comfort.playlist == name) spots.push_back("comfort");
        if (spots.empty()) continue;
        std::string list;
        for (const auto& s : spots)
            list += (list.empty() ? "" : ", ") + s;
        used_by.push_back({{"template", id}, {"where", list}});
        where +=
            (where.empty() ? "" : "; ") + std::string("sessions/") + id + ".json (" + list + ")";
    }
    if (!used_by.empty())
        return {409,
                {{"error",
                  rel + " cannot be deleted: " + where + " play it; change those templates first"},
                 {"used_by", used_by}}};
    if (!fs::remove(path_of(FileKind::Playlist, name), ec) || ec)
        return {500, {{"error", rel + " could not be deleted: " + ec.message()}}};
    Json answer = {{"ok", true}, {"deleted", rel}};
    if (on_saved_) {
        const Json applied = on_saved_();
        if (applied.is_object()) answer.update(applied);
    }
    return {200, answer};
}

bool LibraryFiles::add_library_errors(const std::string& rel, const std::string& text,
                                      Problems& problems) const {
    // The library as it is, and as it would be with this file: every error the save would
    // add (a playlist too short for a phase it serves once Loop is off, a template whose
    // playlist has nothing playable) refuses it. Errors the library already had do not.
    Problems before_problems, after_problems;
    const Library before = load_library(dir_, before_problems, loudness_);
    check_library(before, before_problems);
    LibraryOverlay overlay;
    overlay.files[rel] = text;
    const Library after = load_library(dir_, after_problems, loudness_, &overlay);
    check_library(after, after_problems);
    std::set<std::string> had;
    for (const auto& p : before_problems.list())
        if (p.severity == Severity::Error) had.insert(p.to_string());
    bool added = false;
    for (const auto& p : after_problems.list()) {
        if (p.severity != Severity::Error || had.count(p.to_string())) continue;
        const bool listed =
            std::any_of(problems.list().begin(), problems.list().end(),
                        [&](const Problem& q) { return q.to_string() == p.to_string(); });
        if (!listed) problems.add(p);
        added = true;
    }
    return added;
}

FileResult LibraryFiles::check() const {
    Problems problems;
    Library lib = load_library(dir_, problems, loudness_);
    check_library(lib, problems);
    return {200, {{"ok", !problems.has_errors()}, {"problems", problems_json(problems)}}};
}

} // namespace stillroom

namespace stillroom {

FileResult LibraryFiles::analyze(const std::string& name) const {
    if (!is_valid_id(name)) return {400, {{"error", "a name is letters, digits, '-' or '_'"}}};
    Problems problems("playlists/" + name + ".json");
    auto json = read_library_json(dir_, rel_of(FileKind::Playlist, name), problems);
    if (!json) return {404, {{"error", "no such playlist"}, {"problems", problems_json(problems)}}};
    auto playlist = load_playlist(*json, name, problems);
    if (!playlist)
        return {400,
                {{"error", "the playlist has problems"}, {"problems", problems_json(problems)}}};
    LoudnessCache cache(dir_, loudness_);
    PlaylistInfo info = playlist_info(*playlist, dir_, problems, &cache, room_rate_on_disk(dir_));
    Json tracks = Json::array();
    for (std::size_t i = 0; i < info.tracks.size(); ++i) {
        // gain_db is what playback applies: the track's own gain plus loudness normalisation.
        Json t = {{"file", info.tracks[i].file},
                  {"length", to_seconds(info.tracks[i].length)},
                  {"gain_db", info.tracks[i].gain_db},
                  {"applied_gain_db", info.tracks[i].gain_db},
                  {"file_gain_db", playlist->tracks[i].gain_db}};
        std::string error;
        bool pending = false;
        if (auto l = cache.get(playlist->tracks[i].file, &error, &pending)) {
            t["lufs"] = l->integrated_lufs;
            t["true_peak_dbtp"] = l->true_peak_dbtp;
            t["normalisation_db"] = info.tracks[i].gain_db - playlist->tracks[i].gain_db;
            t["peak_after_gain_dbtp"] =
                l->true_peak_dbtp + info.tracks[i].gain_db; // before the limiter
            t["sample_rate"] = l->sample_rate;
            t["channels"] = l->channels;
        } else if (pending) {
            t["analysis"] = "pending"; // measured in the background; ask again
        }
        tracks.push_back(t);
    }
    cache.save();
    // The phases this playlist serves, in every template, against its length.
    const Ms have = info.total_length();
    Json serves = Json::array();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ / "sessions", ec)) {
        if (entry.path().extension() != ".json") continue;
        const std::string id = entry.path().stem().string();
        Problems tp("sessions/" + id + ".json");
        auto tj = read_library_json(dir_, "sessions/" + id + ".json", tp);
        auto tmpl = tj ? load_template(*tj, id, tp) : std::nullopt;
        if (!tmpl) continue; // its problems are in the check
        for (const auto& span : playlist_spans(*tmpl)) {
            if (span.playlist != name) continue;
            Json phases = Json::array();
            for (std::size_t k = span.first; k <= span.last; ++k) {
                const Phase& ph = tmpl->phases[k];
                Ms planned = ph.duration;
                if (tmpl->booster && tmpl->booster->extend == ph.id) planned += tmpl->booster->by;
                phases.push_back(
                    {{"id", ph.id}, {"name", ph.name}, {"planned", to_seconds(planned)}});
            }
            serves.push_back({{"template", id},
                              {"template_name", tmpl->name},
                              {"phases", phases},
                              {"needed", to_seconds(span.needed)},
                              {"length", to_seconds(have)},
                              {"fits", have >= span.needed},
                              {"loop", info.loop}});
        }
    }
    return {200,
            {{"playlist", name},
             {"total", to_seconds(have)},
             {"tracks", tracks},
             {"serves", serves},
             {"problems", problems_json(problems)}}};
}

} // namespace stillroom

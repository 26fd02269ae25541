// Loading and checking a whole library.
#include "library/library.hpp"

#include "engine/duration.hpp"
#include "engine/library_path.hpp"
#include "playlists/loudness.hpp"
#include "playlists/sndfile.hpp"

#include <algorithm>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

// Every *.json in dir/sub, sorted, as (id, relative file name).
std::vector<std::pair<std::string, std::string>>
json_files(const fs::path& dir, const std::string& sub, Problems& problems) {
    std::vector<std::pair<std::string, std::string>> out;
    std::error_code ec;
    if (!fs::is_directory(dir / sub, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir / sub, ec)) {
        if (entry.path().extension() != ".json") continue;
        const std::string id = entry.path().stem().string();
        const std::string rel = sub + "/" + entry.path().filename().string();
        std::error_code type_ec;
        if (!entry.is_regular_file(type_ec)) {
            // A FIFO, socket, device or a link to nothing: never opened (a FIFO would block).
            problems.add(
                {rel, "", "not a regular file that can be read; it is left out", Severity::Error});
            continue;
        }
        if (!is_valid_id(id)) {
            problems.add({rel, "", "the file name must be an id of letters, digits, '-' or '_'",
                          Severity::Error});
            continue;
        }
        out.emplace_back(id, rel);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// json_files with an overlay's files in place of (or instead of) the disk's.
std::vector<std::pair<std::string, std::string>> overlay_files(const fs::path& dir,
                                                               const std::string& sub,
                                                               Problems& problems,
                                                               const LibraryOverlay* overlay) {
    if (!overlay) return json_files(dir, sub, problems);
    std::vector<std::pair<std::string, std::string>> out;
    if (!overlay->only) out = json_files(dir, sub, problems);
    const std::string prefix = sub + "/";
    for (const auto& [rel, text] : overlay->files) {
        if (rel.rfind(prefix, 0) != 0 || rel.size() <= prefix.size() + 5) continue;
        if (rel.compare(rel.size() - 5, 5, ".json") != 0) continue;
        const std::string id = rel.substr(prefix.size(), rel.size() - prefix.size() - 5);
        if (!is_valid_id(id)) continue;
        const bool listed =
            std::any_of(out.begin(), out.end(), [&](const auto& f) { return f.second == rel; });
        if (!listed) out.emplace_back(id, rel);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<Json> read_json(const fs::path& dir, const std::string& rel, Problems& p,
                              const LibraryOverlay* overlay) {
    if (overlay)
        if (auto it = overlay->files.find(rel); it != overlay->files.end())
            return parse_json_text(it->second, p);
    return read_library_json(dir, rel, p);
}

} // namespace

LibraryRefs Library::refs() const {
    LibraryRefs r;
    for (const auto& [id, p] : playlists)
        r.playlists.insert(id);
    for (const auto& [id, s] : scenes)
        r.scenes.insert(id);
    r.midi_outputs = room.midi_output_ids();
    r.midi_configured = room.midi.has_value();
    const fs::path base = dir;
    r.file_readable = [base](const std::string& file) {
        std::string error;
        const auto resolved = resolve_in_library(base, file, &error); // inside the library only
        return resolved && probe_audio(*resolved, &error).has_value();
    };
    return r;
}

std::optional<SessionSetup> Library::make_setup(const std::string& template_id,
                                                const std::string& id, const std::string& label,
                                                std::uint64_t seed) const {
    auto it = templates.find(template_id);
    if (it == templates.end()) return std::nullopt;
    SessionSetup setup;
    setup.id = id;
    setup.label = label;
    setup.seed = seed;
    setup.tmpl = it->second;
    setup.template_json = template_json.at(template_id);
    setup.max_volume_db = room.max_volume_db();
    // Only the playlists this template can reach, so the journal stays small.
    std::set<std::string> used;
    for (const auto& p : setup.tmpl.phases)
        if (p.playlist) used.insert(*p.playlist);
    for (const auto& c : setup.tmpl.cues)
        if (c.playlist) used.insert(*c.playlist);
    if (setup.tmpl.comfort.playlist) used.insert(*setup.tmpl.comfort.playlist);
    for (const auto& name : used)
        if (auto p = playlist_infos.find(name); p != playlist_infos.end())
            setup.playlists[name] = p->second;
    for (const auto& [sid, scene] : scenes)
        if (scene.fade) setup.scene_fades[sid] = *scene.fade;
    setup.scenes = session_scenes(setup.tmpl); // the session's copy
    return setup;
}

std::map<std::string, SceneLights> Library::session_scenes(const SessionTemplate& tmpl) const {
    std::set<std::string> reach = {kBrightScene};
    for (const auto& p : tmpl.phases)
        if (p.scene) reach.insert(*p.scene);
    for (const auto& c : tmpl.cues)
        if (c.scene) reach.insert(*c.scene);
    for (const auto* s : {&tmpl.comfort.scene, &tmpl.lights_up.scene, &tmpl.end.scene})
        if (*s) reach.insert(**s);
    const auto light_ids = room.light_ids();
    std::map<std::string, SceneLights> out;
    for (const auto& sid : reach) {
        if (sid == kBrightScene)
            out[sid] = resolve_scene(bright_scene(), light_ids);
        else if (auto s = scenes.find(sid); s != scenes.end())
            out[sid] = resolve_scene(s->second, light_ids);
    }
    return out;
}

Library load_library(const fs::path& dir, Problems& problems, LoudnessWorker* worker,
                     const LibraryOverlay* overlay) {
    Library lib;
    lib.dir = dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        problems.add(
            {dir.string(), "", "not a library folder (it does not exist)", Severity::Error});
        return lib;
    }
    {
        Problems p("room.json");
        if (auto json = read_json(dir, "room.json", p, overlay)) {
            if (auto room = load_room_config(*json, p)) lib.room = std::move(*room);
        }
        problems.append(p);
    }
    const auto light_ids = lib.room.light_ids();
    LoudnessCache loudness(dir, worker);
    for (const auto& [id, rel] : overlay_files(dir, "scenes", problems, overlay)) {
        Problems p(rel);
        if (auto json = read_json(dir, rel, p, overlay))
            if (auto scene = load_scene(*json, id, p, &light_ids))
                lib.scenes[id] = std::move(*scene);
        problems.append(p);
    }
    // Playlists are read first, then every file they name is measured at once on every core
    // (a new library's first render, check or plan), then each playlist is measured out.
    std::vector<std::pair<Problems, std::optional<Playlist>>> read;
    std::vector<std::string> audio_files;
    for (const auto& [id, rel] : overlay_files(dir, "playlists", problems, overlay)) {
        Problems p(rel);
        std::optional<Playlist> playlist;
        if (auto json = read_json(dir, rel, p, overlay)) playlist = load_playlist(*json, id, p);
        if (playlist)
            for (const auto& t : playlist->tracks) {
                if (t.layers.empty()) audio_files.push_back(t.file);
                for (const auto& l : t.layers)
                    audio_files.push_back(l.file);
            }
        read.emplace_back(std::move(p), std::move(playlist));
    }
    loudness.prefetch(audio_files);
    for (auto& [p, playlist] : read) {
        if (playlist) {
            const std::string id = playlist->id;
            lib.playlist_infos[id] =
                playlist_info(*playlist, dir, p, &loudness, lib.room.sample_rate());
            lib.playlists[id] = std::move(*playlist);
        }
        problems.append(p);
    }
    loudness.save();
    const LibraryRefs refs = lib.refs();
    for (const auto& [id, rel] : overlay_files(dir, "sessions", problems, overlay)) {
        Problems p(rel);
        if (auto json = read_json(dir, rel, p, overlay)) {
            if (auto tmpl = load_template(*json, id, p, &refs)) {
                lib.templates[id] = std::move(*tmpl);
                lib.template_json[id] = std::move(*json);
            }
        }
        problems.append(p);
    }
    lib.version = library_version(dir);
    return lib;
}

std::vector<PlaylistSpan> playlist_spans(const SessionTemplate& tmpl) {
    std::vector<PlaylistSpan> spans;
    // Consecutive phases with the same playlist play it continuously.
    for (std::size_t i = 0; i < tmpl.phases.size();) {
        const auto& playlist = tmpl.phases[i].playlist;
        std::size_t j = i;
        Ms needed{0};
        while (j < tmpl.phases.size() && tmpl.phases[j].playlist == playlist) {
            needed += tmpl.phases[j].duration;
            if (tmpl.booster && tmpl.booster->extend == tmpl.phases[j].id)
                needed += tmpl.booster->by;
            ++j;
        }
        if (playlist) spans.push_back({*playlist, i, j - 1, needed});
        i = j;
    }
    return spans;
}

void check_library(const Library& lib, Problems& problems) {
    for (const auto& [id, tmpl] : lib.templates) {
        const std::string file = "sessions/" + id + ".json";
        for (const auto& span : playlist_spans(tmpl)) {
            const std::string& playlist = span.playlist;
            const std::size_t i = span.first, j = span.last + 1;
            const Ms needed = span.needed;
            auto it = lib.playlist_infos.find(playlist);
            if (it != lib.playlist_infos.end()) {
                const PlaylistInfo& info = it->second;
                const Ms have = info.total_length();
                const std::string path = json_path_key(json_path_index("phases", i), "playlist");
                const std::string span_text =
                    j - i > 1 ? "phases " + tmpl.phases[i].id + " to " + tmpl.phases[j - 1].id
                              : "phase " + tmpl.phases[i].id;
                if (!info.has_playable_track()) {
                    problems.add({file, path, "playlist \"" + playlist + "\" has no playable track",
                                  Severity::Error});
                } else if (have < needed && !info.loop) {
                    problems.add({file, path,
                                  "playlist \"" + playlist + "\" lasts " + format_duration(have) +
                                      " but " + span_text + (j - i > 1 ? " need " : " needs ") +
                                      format_duration(needed) +
                                      " and it does not loop: the room would fall silent",
                                  Severity::Error});
                } else if (have < needed) {
                    problems.add({file, path,
                                  "playlist \"" + playlist + "\" lasts " + format_duration(have) +
                                      " but " + span_text + (j - i > 1 ? " need " : " needs ") +
                                      format_duration(needed) + "; it will repeat",
                                  Severity::Warning});
                }
            }
        }
        if (tmpl.comfort.playlist) {
            auto it = lib.playlist_infos.find(*tmpl.comfort.playlist);
            if (it != lib.playlist_infos.end() && !it->second.loop)
                problems.add(
                    {file, "comfort.playlist",
                     "the comfort playlist should loop: comfort can last as long as needed",
                     Severity::Warning});
        }
    }
}

} // namespace stillroom

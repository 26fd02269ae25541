// Playlist files.
#include "playlists/playlist.hpp"

#include "engine/duration.hpp"
#include "engine/library_path.hpp"
#include "playlists/loudness.hpp"
#include "playlists/playlist_layers.hpp"
#include "playlists/sndfile.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom {

namespace {

std::optional<std::string> read_file_field(ObjectReader& t, Problems& problems) {
    auto f = t.string("file", Need::Required);
    if (!f) return std::nullopt;
    if (f->empty())
        problems.error(t.path_of("file"), "expected a file path, got \"\"");
    else if (const std::string why = library_path_problem(*f); !why.empty())
        problems.error(t.path_of("file"), "\"" + *f + "\" " + why);
    return f;
}

// "layers": [{"file", "depth"}, ...]: at least two, depths 0..1, no two at one depth.
void read_layers(ObjectReader& t, Track& track, Problems& problems) {
    const Json* layers = t.array("layers");
    if (!layers) return;
    const std::string path = t.path_of("layers");
    if (layers->size() < 2 || layers->size() > 8)
        problems.error(path, "expected 2 to 8 layers (a single file is a plain \"file\"), got " +
                                 std::to_string(layers->size()));
    std::vector<std::pair<TrackLayer, std::size_t>> read; // layer, index in the file
    for (std::size_t j = 0; j < layers->size(); ++j) {
        ObjectReader l((*layers)[j], json_path_index(path, j), problems);
        if (!l.is_object()) continue;
        TrackLayer layer;
        const auto file = read_file_field(l, problems);
        const auto depth = l.number("depth", Need::Required, 0, 1);
        l.finish();
        if (!file || !depth) continue;
        layer.file = *file;
        layer.depth = *depth;
        for (const auto& [other, k] : read)
            if (other.depth == layer.depth)
                problems.error(l.path_of("depth"),
                               "two layers at one depth: " + json_path_index(path, k) +
                                   " is also at depth " + describe_json(Json(layer.depth)));
        read.emplace_back(layer, j);
    }
    std::stable_sort(read.begin(), read.end(),
                     [](const auto& a, const auto& b) { return a.first.depth < b.first.depth; });
    for (auto& [layer, j] : read)
        track.layers.push_back(std::move(layer));
    if (!track.layers.empty()) track.file = track.layers.front().file;
}

} // namespace

std::optional<Playlist> load_playlist(const Json& json, const std::string& id, Problems& problems) {
    const auto errors_before = problems.error_count();
    ObjectReader root(json, "", problems);
    if (!root.is_object()) return std::nullopt;
    Playlist p;
    p.id = id;
    p.name = root.string("name").value_or(id);
    p.description = root.string("description").value_or("");
    if (auto x = root.duration("crossfade")) {
        if (*x > std::chrono::seconds{60})
            problems.error("crossfade",
                           "expected a crossfade of at most 60s, got " + format_duration(*x));
        p.crossfade = *x;
    }
    if (auto order = root.string("order")) {
        if (*order == "sequential")
            p.order = PlayOrder::Sequential;
        else if (*order == "shuffle")
            p.order = PlayOrder::Shuffle;
        else
            problems.error("order", "expected \"sequential\" or \"shuffle\", got " +
                                        describe_json(Json(*order)));
    }
    p.loop = root.boolean("loop").value_or(true);
    if (const Json* tracks = root.array("tracks", Need::Required)) {
        for (std::size_t i = 0; i < tracks->size(); ++i) {
            ObjectReader t((*tracks)[i], json_path_index("tracks", i), problems);
            if (!t.is_object()) continue;
            Track track;
            if (t.has("layers")) {
                if (t.string("file"))
                    problems.error(t.path_of("file"),
                                   "a track has \"file\" or \"layers\", not both");
                read_layers(t, track, problems);
            } else if (auto f = read_file_field(t, problems)) {
                track.file = *f;
            }
            track.title = t.string("title").value_or("");
            track.artist = t.string("artist").value_or("");
            if (auto in = t.duration("in")) track.in = *in;
            track.out = t.duration("out");
            if (track.out && *track.out <= track.in)
                problems.error(t.path_of("out"), "expected \"out\" after \"in\" (" +
                                                     format_duration(track.in) + "), got " +
                                                     format_duration(*track.out));
            if (auto g = t.number("gain_db", Need::Optional, -40, 12)) track.gain_db = *g;
            track.listed_length = t.duration("listed_length");
            t.finish();
            p.tracks.push_back(std::move(track));
        }
    }
    root.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return p;
}

Json playlist_to_json(const Playlist& p) {
    Json tracks = Json::array();
    for (const auto& t : p.tracks) {
        Json j = Json::object();
        if (t.layers.empty()) {
            j["file"] = t.file;
        } else {
            j["layers"] = Json::array();
            for (const auto& l : t.layers)
                j["layers"].push_back({{"file", l.file}, {"depth", l.depth}});
        }
        if (!t.title.empty()) j["title"] = t.title;
        if (!t.artist.empty()) j["artist"] = t.artist;
        if (t.in > Ms{0}) j["in"] = format_duration(t.in);
        if (t.out) j["out"] = format_duration(*t.out);
        if (t.gain_db != 0) j["gain_db"] = t.gain_db;
        if (t.listed_length) j["listed_length"] = format_duration(*t.listed_length);
        tracks.push_back(std::move(j));
    }
    Json j = {{"name", p.name},
              {"crossfade", format_duration(p.crossfade)},
              {"order", p.order == PlayOrder::Shuffle ? "shuffle" : "sequential"},
              {"loop", p.loop},
              {"tracks", tracks}};
    if (!p.description.empty()) j["description"] = p.description;
    return j;
}

PlaylistInfo playlist_info(const Playlist& p, const std::filesystem::path& library_dir,
                           Problems& problems, LoudnessCache* loudness, int room_rate) {
    std::vector<std::pair<std::size_t, double>> measured; // track index, LUFS
    PlaylistInfo info;
    info.id = p.id;
    info.name = p.name;
    info.crossfade = p.crossfade;
    info.order = p.order;
    info.loop = p.loop;
    for (std::size_t i = 0; i < p.tracks.size(); ++i) {
        const Track& t = p.tracks[i];
        const std::string path = json_path_key(json_path_index("tracks", i), "file");
        TrackInfo ti;
        ti.file = t.file;
        ti.title = t.title.empty() ? std::filesystem::path(t.file).stem().string() : t.title;
        ti.artist = t.artist;
        ti.in = t.in;
        ti.gain_db = t.gain_db;
        if (!t.layers.empty()) {
            layered_track_info(t, i, library_dir, problems, loudness, room_rate, ti);
            info.tracks.push_back(std::move(ti));
            continue;
        }
        std::string error;
        const auto resolved = resolve_in_library(library_dir, t.file, &error);
        auto audio = resolved ? probe_audio(*resolved, &error) : std::nullopt;
        if (!audio) {
            problems.error(path, "\"" + t.file + "\" cannot be played: " + error);
        } else {
            const Ms file_length{audio->frames * 1000 / audio->sample_rate};
            Ms end = t.out ? std::min(*t.out, file_length) : file_length;
            if (t.out && *t.out > file_length)
                problems.warning(json_path_key(json_path_index("tracks", i), "out"),
                                 "\"out\" is past the end of the file (" +
                                     format_duration(file_length) + ")");
            if (end <= t.in) {
                problems.error(json_path_key(json_path_index("tracks", i), "in"),
                               "\"in\" is at or past the end of the file (" +
                                   format_duration(file_length) + ")");
            } else {
                ti.length = end - t.in;
            }
            if (loudness && ti.length > Ms{0} &&
                too_long_to_measure(audio->frames, audio->sample_rate)) {
                problems.warning(path,
                                 "\"" + t.file + "\" is longer than " +
                                     std::to_string(kMaxMeasuredSeconds / 3600) +
                                     " h: its loudness is not measured; it plays at its own level");
            } else if (loudness && ti.length > Ms{0}) {
                std::string lerror;
                bool pending = false;
                if (auto l = loudness->get(t.file, &lerror, &pending)) {
                    ti.gain_db += normalisation_gain_db(*l);
                    if (l->integrated_lufs > -69) measured.emplace_back(i, l->integrated_lufs);
                } else if (pending) {
                    problems.warning(path, "\"" + t.file +
                                               "\": loudness analysis pending; it plays at its own "
                                               "level until measured");
                } else {
                    problems.error(path, "\"" + t.file + "\" cannot be measured: " + lerror);
                    ti.length = Ms{0};
                }
            }
        }
        info.tracks.push_back(std::move(ti));
    }
    // Loudness outliers: normalisation evens them out, but a track 10 LU away from its
    // neighbours is usually a mistake (a spoken intro, the wrong master).
    if (measured.size() >= 3) {
        std::vector<double> values;
        for (const auto& m : measured)
            values.push_back(m.second);
        std::nth_element(values.begin(),
                         values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2),
                         values.end());
        const double median = values[values.size() / 2];
        for (const auto& [index, lufs] : measured) {
            if (std::fabs(lufs - median) > 10.0) {
                char buf[160];
                std::snprintf(buf, sizeof buf,
                              "loudness outlier: %.1f LUFS where the playlist is around %.1f LUFS",
                              lufs, median);
                problems.warning(json_path_key(json_path_index("tracks", index), "file"), buf);
            }
        }
    }
    return info;
}

} // namespace stillroom

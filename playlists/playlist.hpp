// Playlists (playlists/NAME.json): tracks with trims and gain, crossfade, order, loop.
#pragma once

#include "engine/catalog.hpp"
#include "engine/json_reader.hpp"
#include "engine/problems.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

inline constexpr Ms kDefaultCrossfade{12000};

struct Track {
    std::string file; // relative to the library (a piece in layers: its first layer's)
    std::string title;
    std::string artist;
    Ms in{0};
    std::optional<Ms> out;
    double gain_db = 0;
    std::optional<Ms> listed_length;     // the length an imported M3U's #EXTINF gave, if any
    std::vector<TrackLayer> layers = {}; // "layers": [{"file", "depth"}], sorted by depth
};

struct Playlist {
    std::string id;
    std::string name;
    std::string description;
    Ms crossfade = kDefaultCrossfade;
    PlayOrder order = PlayOrder::Sequential;
    bool loop = true;
    std::vector<Track> tracks;
};

std::optional<Playlist> load_playlist(const Json& json, const std::string& id, Problems& problems);
Json playlist_to_json(const Playlist& p);

class LoudnessCache;

// Measures each track's file (libsndfile) and builds what the engine needs. A missing or
// unreadable file, or a trim outside the file, is a problem and a track of length 0.
// With `loudness`, each track's gain includes EBU R128 normalisation to -23 LUFS, and
// tracks far from the playlist's typical loudness are reported.
// A piece in layers: every layer must be readable and of one length at `room_rate` (the
// room's sample rate); its gain normalises the loudest layer, and applies to all of them.
PlaylistInfo playlist_info(const Playlist& p, const std::filesystem::path& library_dir,
                           Problems& problems, LoudnessCache* loudness = nullptr,
                           int room_rate = 48000);

} // namespace stillroom

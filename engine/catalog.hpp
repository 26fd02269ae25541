// What the engine knows about the library: playlists with their playable track lengths,
// and the names other files may refer to. Filled by the loaders above the engine
// (playlists/, scenes/, devices/); snapshotted into the journal so a resume replays exactly.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/time.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace stillroom {

// One layer of a piece in layers: a stem for a depth from 0 (lightest) to 1 (deepest).
struct TrackLayer {
    std::string file; // relative to the library
    double depth = 0;
    bool operator==(const TrackLayer&) const = default;
};

struct TrackInfo {
    std::string file;  // relative to the library
    std::string title; // for the tablet and reports (music metadata, never patient data)
    std::string artist;
    Ms in{0};           // trim: where playback starts in the file
    Ms length{0};       // playable length after trims; 0 = not playable (missing/unreadable)
    double gain_db = 0; // playlist gain plus loudness normalisation (of the loudest layer)
    // A piece in layers, sorted by depth (`file` is then the first layer's): the layers play
    // sample-synchronously and the session's depth chooses between them. Empty: a plain track.
    std::vector<TrackLayer> layers = {};

    bool operator==(const TrackInfo&) const = default;
};

enum class PlayOrder { Sequential, Shuffle };

struct PlaylistInfo {
    std::string id;   // file stem: playlists/ID.json
    std::string name; // display name
    Ms crossfade{8000};
    PlayOrder order = PlayOrder::Sequential;
    bool loop = true;
    std::vector<TrackInfo> tracks;

    // Sum of playable lengths minus the crossfade overlaps: one pass through the list.
    Ms total_length() const;
    bool has_playable_track() const;
    bool operator==(const PlaylistInfo&) const = default;
};

Json to_json(const PlaylistInfo& p);
// The journal form of a track's layers: [{"file", "depth"}]; the reader throws on bad data.
Json layers_json(const std::vector<TrackLayer>& layers);
std::vector<TrackLayer> layers_from_json(const Json& j);
PlaylistInfo playlist_info_from_json(const Json& j); // for journal snapshots; throws on bad data

// Names a template may refer to, for reference checks while loading.
struct LibraryRefs {
    std::set<std::string> playlists;
    std::set<std::string> scenes;
    std::set<std::string> midi_outputs;
    bool midi_configured = false; // room.json has a "midi" section
    // Whether a library-relative audio file exists and is readable.
    std::function<bool(const std::string&)> file_readable;
};

using PlaylistCatalog = std::map<std::string, PlaylistInfo>;

} // namespace stillroom

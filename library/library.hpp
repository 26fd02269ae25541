// The library folder as one object: room.json, playlists/, scenes/, sessions/ and audio.
// Loading reports every problem in every file at once; nothing here throws on bad input.
#pragma once

#include "engine/session.hpp"
#include "library/room_config.hpp"
#include "playlists/playlist.hpp"
#include "scenes/scene.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace stillroom {

struct Library {
    std::filesystem::path dir;
    RoomConfig room;
    std::map<std::string, Playlist> playlists;
    PlaylistCatalog playlist_infos; // with measured track lengths
    std::map<std::string, Scene> scenes;
    std::map<std::string, SessionTemplate> templates;
    std::map<std::string, Json> template_json;
    // What the library holds, as 16 hex digits: the same files give the same version in every
    // room (the clinic overview shows which rooms have the curator's latest).
    std::string version;

    LibraryRefs refs() const;
    // A ready-to-start session from a template; nullopt if there is no such template.
    std::optional<SessionSetup> make_setup(const std::string& template_id, const std::string& id,
                                           const std::string& label, std::uint64_t seed) const;
    // Every scene the template can reach (and "@bright"), resolved for the room's lights:
    // the copy a session keeps.
    std::map<std::string, SceneLights> session_scenes(const SessionTemplate& tmpl) const;
};

class LoudnessWorker;

// JSON files that stand in for the ones on disk, by name relative to the library folder
// ("room.json", "playlists/NAME.json"), as their text. A save is checked against the library
// it would make; the last good library (library_last_good.hpp) is loaded from its copy.
// Audio is always read from the library folder.
struct LibraryOverlay {
    std::map<std::string, std::string> files;
    // true: the folders hold exactly the overlay's files (room.json from disk when the
    // overlay has none); false: the disk's files, with the overlay's in their place.
    bool only = false;
};

// Loads everything under `dir`. Problems name files relative to `dir`.
// Returns the library even when some files have problems (they are left out of it).
// Every file it reads must lie inside `dir` after resolving symlinks. With `loudness`, files
// not measured yet are measured there, in the background (a warning says "pending"), not
// here: the daemon passes one so no request waits on a measurement.
Library load_library(const std::filesystem::path& dir, Problems& problems,
                     LoudnessWorker* loudness = nullptr, const LibraryOverlay* overlay = nullptr);

// A digest of the playlists, scenes and session templates as saved (file names and
// contents, in name order; room.json and audio are not part of it).
std::string library_version(const std::filesystem::path& dir);

// Cross-file checks beyond each loader: playlists long enough for the phases they serve,
// playlists with nothing playable, and similar. Adds to `problems`.
void check_library(const Library& library, Problems& problems);

// Where a template plays a playlist: consecutive phases [first, last] with that playlist,
// and how long they need it (planned durations, plus the booster where it extends one).
struct PlaylistSpan {
    std::string playlist;
    std::size_t first = 0, last = 0;
    Ms needed{0};
};
std::vector<PlaylistSpan> playlist_spans(const SessionTemplate& tmpl);

} // namespace stillroom

// The last library that loaded cleanly, kept in the room's state dir: when the files on disk
// have errors at start-up the room runs this copy instead and says so
// (`GET /api/v1/state` → `library.in_force: "last-good"`). The copy holds room.json and the
// playlists, scenes and session templates as their text; audio stays in the library folder.
#pragma once

#include "library/library.hpp"

#include <optional>
#include <string>

namespace stillroom {

// state_dir/library-last-good.json
std::filesystem::path last_good_path(const std::filesystem::path& state_dir);

// Copies the library's JSON files (as they are on disk now) with `version`. Atomic. The
// caller has just loaded them without errors.
bool save_last_good(const std::filesystem::path& library_dir,
                    const std::filesystem::path& state_dir, const std::string& version,
                    std::string* error);

// The kept copy, loaded against the library folder's audio and checked; nullopt (with the
// reason in `why`) when there is none or it no longer loads cleanly. room.json comes from
// disk when `room_from_disk` (the disk's room.json is valid: its users and PINs are the
// newest).
std::optional<Library> load_last_good(const std::filesystem::path& library_dir,
                                      const std::filesystem::path& state_dir, bool room_from_disk,
                                      std::string* why);

// The library a room starts with, from `disk` as loaded and checked with `problems`: the
// disk's when it has no errors (it becomes the new last good copy), else the last good copy
// when there is one; `in_force` says "disk" or "last-good".
struct StartLibrary {
    Library library;
    std::string in_force = "disk";
    bool has_errors = false; // the library in force itself has errors (no good copy)
    std::string note;        // a line for the log
};
StartLibrary choose_start_library(Library disk, const Problems& problems,
                                  const std::filesystem::path& library_dir,
                                  const std::filesystem::path& state_dir);

} // namespace stillroom

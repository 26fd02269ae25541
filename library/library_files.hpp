// The library's files over the API: list, read, and write after validating exactly as the
// loaders do. A write is atomic (temp file, fsync, rename); an invalid one changes nothing.
// Names are ids, so no request can reach a file outside the library.
#pragma once

#include "library/library.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace stillroom {

enum class FileKind { Playlist, Scene, Session, Room };
std::optional<FileKind> file_kind_from_path(const std::string& segment); // "playlists" ...

struct FileResult {
    int status = 200;
    Json body;
};

class LibraryFiles {
public:
    // `on_saved` is called after every successful write (the room reloads the library) and
    // says what took effect: {"applied": [...], "not_applied": [{"file", "error"}]}, added
    // to the save's answer (LibraryApply::to_json).
    LibraryFiles(std::filesystem::path dir, std::function<Json()> on_saved);
    FileResult list(FileKind kind) const;
    FileResult get(FileKind kind, const std::string& name) const;
    FileResult put(FileKind kind, const std::string& name, const std::string& body);
    // Deletes a playlist file: 404 when there is none, 409 while a session template uses it
    // (naming the templates and where), nothing deleted. A running session keeps its copy.
    FileResult remove_playlist(const std::string& name);
    // Every problem in the library (the curator's problem list).
    FileResult check() const;
    // Per track: playable length, rate, channels, loudness, true peak, gain; problems.
    FileResult analyze(const std::string& playlist) const;
    const std::filesystem::path& dir() const { return dir_; }
    // Loudness is measured there (never in a request) once this is set. Before start.
    void set_loudness_worker(LoudnessWorker* worker) { loudness_ = worker; }
    // M3U for the tablet, through the same code as `stillroom playlist import|export`
    // (library_m3u.cpp). Import returns tracks to add (nothing is saved); relative entries
    // are read from the library folder. Export is the playlist as saved on disk.
    FileResult import_m3u(const std::string& text) const;
    FileResult export_m3u(const std::string& playlist) const;

private:
    std::filesystem::path path_of(FileKind kind, const std::string& name) const;
    std::string rel_of(FileKind kind, const std::string& name) const; // "playlists/NAME.json"
    // Adds to `problems` every error the library would gain with `text` saved as `rel`;
    // true if there is one (the save is then refused).
    bool add_library_errors(const std::string& rel, const std::string& text,
                            Problems& problems) const;
    std::filesystem::path dir_;
    std::function<Json()> on_saved_;
    LoudnessWorker* loudness_ = nullptr;
    mutable std::mutex mutex_; // one writer at a time
};

// A problem list as the API sends it: [{file, path, message, severity, text}].
Json problems_json(const Problems& p);
// Only the errors, in the same form: what keeps files out of force (GET /state → library).
Json library_errors_json(const Problems& p);

// Writes text to a file atomically: PATH.tmp, fsync, rename, fsync the folder.
bool write_file_atomically(const std::filesystem::path& path, const std::string& text,
                           std::string* error, unsigned mode = 0644);

} // namespace stillroom

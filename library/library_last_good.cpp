// The last good library in the state dir.
#include "library/library_last_good.hpp"

#include "library/library_files.hpp"

#include <fstream>
#include <sstream>

namespace stillroom {

namespace fs = std::filesystem;

fs::path last_good_path(const fs::path& state_dir) {
    return state_dir / "library-last-good.json";
}

namespace {

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

bool save_last_good(const fs::path& library_dir, const fs::path& state_dir,
                    const std::string& version, std::string* error) {
    Json files = Json::object();
    std::error_code ec;
    if (auto room = read_text(library_dir / "room.json")) files["room.json"] = *room;
    for (const char* sub : {"playlists", "scenes", "sessions"})
        for (const auto& e : fs::directory_iterator(library_dir / sub, ec)) {
            if (e.path().extension() != ".json" || !e.is_regular_file(ec)) continue;
            if (auto text = read_text(e.path()))
                files[std::string(sub) + "/" + e.path().filename().string()] = *text;
        }
    fs::create_directories(state_dir, ec);
    const Json copy = {{"version", version}, {"files", files}};
    return write_file_atomically(last_good_path(state_dir), copy.dump() + "\n", error, 0600);
}

std::optional<Library> load_last_good(const fs::path& library_dir, const fs::path& state_dir,
                                      bool room_from_disk, std::string* why) {
    const auto text = read_text(last_good_path(state_dir));
    if (!text) {
        if (why) *why = "no last good library was kept in " + state_dir.string();
        return std::nullopt;
    }
    const Json copy = Json::parse(*text, nullptr, false);
    if (copy.is_discarded() || !copy.is_object() || !copy.contains("files") ||
        !copy["files"].is_object()) {
        if (why) *why = last_good_path(state_dir).string() + " cannot be read";
        return std::nullopt;
    }
    LibraryOverlay overlay;
    overlay.only = true;
    for (const auto& [rel, content] : copy["files"].items())
        if (content.is_string() && !(room_from_disk && rel == "room.json"))
            overlay.files[rel] = content.get<std::string>();
    Problems problems;
    Library lib = load_library(library_dir, problems, nullptr, &overlay);
    check_library(lib, problems);
    if (problems.has_errors()) {
        if (why) *why = "the last good library no longer loads cleanly: " + problems.to_string();
        return std::nullopt;
    }
    lib.version = copy.value("version", std::string());
    return lib;
}

StartLibrary choose_start_library(Library disk, const Problems& problems,
                                  const fs::path& library_dir, const fs::path& state_dir) {
    StartLibrary out;
    out.library = std::move(disk);
    if (!problems.has_errors()) {
        std::string error;
        if (!save_last_good(library_dir, state_dir, out.library.version, &error))
            out.note = "cannot keep a copy of the library: " + error;
        return out;
    }
    bool room_ok = true;
    for (const auto& p : problems.list())
        if (p.severity == Severity::Error && p.file == "room.json") room_ok = false;
    std::string why;
    if (auto good = load_last_good(library_dir, state_dir, room_ok, &why)) {
        out.library = std::move(*good);
        out.in_force = "last-good";
        out.note = "the library files have errors: the room runs the last library that loaded "
                   "cleanly (version " +
                   out.library.version + ")";
        return out;
    }
    out.has_errors = true;
    out.note = "the library files have errors and " + why +
               ": no session can start until "
               "they are fixed";
    return out;
}

} // namespace stillroom

// M3U import and export for the tablet: the same import_m3u/export_m3u as the command line
// (playlists/m3u.cpp), so a file reads the same whichever way it comes in.
#include "library/library_files.hpp"

#include "playlists/loudness.hpp"
#include "playlists/m3u.hpp"

namespace stillroom {

FileResult LibraryFiles::import_m3u(const std::string& text) const {
    // An M3U pasted on the tablet has no folder of its own: it is read as if it lay in the
    // library folder, where `stillroom playlist import` would read the same file.
    M3uImport result = stillroom::import_m3u(text, dir_, dir_, "import", "M3U");
    Json tracks = Json::array();
    const Json as_json = playlist_to_json(result.playlist);
    if (as_json.contains("tracks")) tracks = as_json["tracks"];
    return {200, {{"tracks", tracks}, {"problems", problems_json(result.problems)}}};
}

FileResult LibraryFiles::export_m3u(const std::string& name) const {
    if (!is_valid_id(name)) return {400, {{"error", "a name is letters, digits, '-' or '_'"}}};
    Problems problems("playlists/" + name + ".json");
    auto json = read_library_json(dir_, rel_of(FileKind::Playlist, name), problems);
    if (!json) return {404, {{"error", "no such playlist"}}};
    auto playlist = load_playlist(*json, name, problems);
    if (!playlist)
        return {
            400,
            {{"error", "the saved playlist has problems"}, {"problems", problems_json(problems)}}};
    PlaylistInfo info = playlist_info(*playlist, dir_, problems);
    return {200, {{"playlist", name}, {"m3u", stillroom::export_m3u(*playlist, info, dir_, dir_)}}};
}

} // namespace stillroom

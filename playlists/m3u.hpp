// M3U / M3U8 playlists: import that survives real files (BOM, CRLF, #EXTINF, comments,
// relative and absolute paths, spaces and non-ASCII names) and export with #EXTINF.
#pragma once

#include "engine/problems.hpp"
#include "playlists/playlist.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace stillroom {

struct M3uImport {
    Playlist playlist;
    Problems problems; // URL entries, missing files, files outside the library: reported, not dropped silently
};

// Parses M3U text. `m3u_dir` resolves relative entries; tracks are stored relative to
// `library_dir`. Entries that are URLs, outside the library or missing are problems (with
// the line number as the path) and are left out of the playlist.
M3uImport import_m3u(std::string_view text, const std::filesystem::path& m3u_dir,
                     const std::filesystem::path& library_dir, const std::string& id,
                     const std::string& file_label);

// #EXTM3U with #EXTINF:SECONDS,ARTIST - TITLE lines. Paths relative to `relative_to`
// (the folder the .m3u8 will live in); UTF-8, LF line ends.
std::string export_m3u(const Playlist& p, const PlaylistInfo& info, const std::filesystem::path& library_dir,
                       const std::filesystem::path& relative_to);

} // namespace stillroom

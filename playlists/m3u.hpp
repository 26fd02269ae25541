// M3U / M3U8 playlists: import that survives real files (BOM, CRLF, #EXTINF, comments,
// relative and absolute paths, spaces and non-ASCII names) and export with #EXTINF.
#pragma once

#include "engine/problems.hpp"
#include "playlists/playlist.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace stillroom {

struct M3uImport {
    Playlist playlist;
    Problems problems; // URL entries, missing files, files outside the library: reported, not
                       // dropped silently
};

// How Windows drive-letter and UNC paths (C:\Users\...\Music\a.flac) are read.
enum class WindowsPaths {
    Report, // a problem naming the entry and the option that maps it
    Tail,   // the longest tail of the path that exists inside the library
};

struct M3uOptions {
    WindowsPaths windows_paths = WindowsPaths::Report;
};

// Parses M3U bytes as players write them: UTF-8 (with or without BOM), UTF-16 with a BOM,
// Latin-1 when the bytes are not UTF-8 (a warning says so); LF, CRLF or CR-only lines.
// `m3u_dir` resolves relative entries (as written, or percent-decoded as VLC writes them);
// tracks are stored relative to `library_dir`, with #EXTINF titles and lengths. Entries
// that are URLs, not audio, outside the library or missing are problems (with the line
// number as the path) and are left out of the playlist.
M3uImport import_m3u(std::string_view text, const std::filesystem::path& m3u_dir,
                     const std::filesystem::path& library_dir, const std::string& id,
                     const std::string& file_label, const M3uOptions& options = {});

// The bytes of an M3U file as UTF-8 (BOMs removed, UTF-16 converted, Latin-1 when not
// UTF-8). `encoding` says which was read ("utf-8", "utf-16le", "utf-16be", "latin-1").
// nullopt for UTF-16 that does not decode (a lone surrogate, an odd length).
std::optional<std::string> m3u_text_to_utf8(std::string_view bytes, std::string& encoding);

// #EXTM3U with #EXTINF:SECONDS,ARTIST - TITLE lines. Paths relative to `relative_to`
// (the folder the .m3u8 will live in); UTF-8, LF line ends.
std::string export_m3u(const Playlist& p, const PlaylistInfo& info,
                       const std::filesystem::path& library_dir,
                       const std::filesystem::path& relative_to);

} // namespace stillroom

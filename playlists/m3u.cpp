// M3U import and export.
#include "playlists/m3u.hpp"

#include <cctype>
#include <cmath>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool is_url(std::string_view s) {
    const auto colon = s.find("://");
    if (colon == std::string_view::npos || colon == 0) return false;
    for (char c : s.substr(0, colon))
        if (!std::isalpha(static_cast<unsigned char>(c))) return false;
    return true;
}

// "file:///music/a%20b.flac" -> "/music/a b.flac"
std::string file_url_to_path(std::string_view url) {
    std::string out;
    std::string_view rest = url.substr(7);
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '%' && i + 2 < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += rest[i];
        }
    }
    return out;
}

// Splits "Artist - Title" as #EXTINF writes it.
void split_extinf_title(std::string_view text, std::string& artist, std::string& title) {
    const auto dash = text.find(" - ");
    if (dash == std::string_view::npos) {
        title = std::string(text);
        return;
    }
    artist = std::string(trim(text.substr(0, dash)));
    title = std::string(trim(text.substr(dash + 3)));
}

} // namespace

M3uImport import_m3u(std::string_view text, const fs::path& m3u_dir, const fs::path& library_dir,
                     const std::string& id, const std::string& file_label) {
    M3uImport out;
    out.problems.set_file(file_label);
    out.playlist.id = id;
    out.playlist.name = id;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    const fs::path library = fs::weakly_canonical(library_dir);
    std::string pending_artist, pending_title;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    // Bounded whatever the body does: a text of n bytes has at most n + 1 lines.
    for (std::size_t lines_left = text.size() + 1; pos <= text.size() && lines_left > 0; --lines_left) {
        auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = trim(text.substr(pos, nl - pos));
        pos = nl + 1;
        ++line_no;
        const std::string where = "line " + std::to_string(line_no);
        if (line.empty()) continue;
        if (line.front() == '#') {
            if (line.rfind("#EXTINF:", 0) == 0) {
                const auto comma = line.find(',');
                pending_artist.clear();
                pending_title.clear();
                if (comma != std::string_view::npos) split_extinf_title(trim(line.substr(comma + 1)), pending_artist, pending_title);
            } else if (line.rfind("#PLAYLIST:", 0) == 0) {
                out.playlist.name = std::string(trim(line.substr(10)));
            }
            continue; // #EXTM3U and other comments
        }
        std::string entry(line);
        fs::path path;
        if (entry.rfind("file://", 0) == 0) {
            path = file_url_to_path(entry);
        } else if (is_url(entry)) {
            out.problems.error(where, "\"" + entry + "\" is a URL; Stillroom plays only files in the library");
            pending_artist.clear(), pending_title.clear();
            continue;
        } else {
            // Windows players write backslashes.
            for (char& c : entry)
                if (c == '\\') c = '/';
            path = entry;
        }
        if (path.is_relative()) path = m3u_dir / path;
        std::error_code ec;
        const fs::path resolved = fs::weakly_canonical(path, ec);
        if (ec || !fs::is_regular_file(resolved, ec)) {
            out.problems.error(where, "\"" + entry + "\" does not exist");
            pending_artist.clear(), pending_title.clear();
            continue;
        }
        const fs::path rel = resolved.lexically_relative(library);
        if (rel.empty() || rel.begin()->string() == "..") {
            out.problems.error(where, "\"" + entry + "\" is outside the library " + library.string() +
                                          "; copy it into the library first");
            pending_artist.clear(), pending_title.clear();
            continue;
        }
        Track t;
        t.file = rel.generic_string();
        t.artist = pending_artist;
        t.title = pending_title;
        out.playlist.tracks.push_back(std::move(t));
        pending_artist.clear(), pending_title.clear();
    }
    return out;
}

std::string export_m3u(const Playlist& p, const PlaylistInfo& info, const fs::path& library_dir,
                       const fs::path& relative_to) {
    std::string out = "#EXTM3U\n#PLAYLIST:" + p.name + "\n";
    const fs::path library = fs::weakly_canonical(library_dir);
    const fs::path base = fs::weakly_canonical(relative_to);
    for (std::size_t i = 0; i < p.tracks.size(); ++i) {
        const Track& t = p.tracks[i];
        long seconds = -1;
        if (i < info.tracks.size() && info.tracks[i].length > Ms{0})
            seconds = static_cast<long>(std::lround(to_seconds(info.tracks[i].length)));
        std::string label = t.artist.empty() ? t.title : t.artist + " - " + t.title;
        if (label.empty()) label = fs::path(t.file).stem().string();
        out += "#EXTINF:" + std::to_string(seconds) + "," + label + "\n";
        out += (library / t.file).lexically_relative(base).generic_string() + "\n";
    }
    return out;
}

} // namespace stillroom

// M3U import and export.
#include "playlists/m3u.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
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
        if (rest[i] == '%' && i + 2 < rest.size() &&
            std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
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

// "#EXTINF:312 tvg-id="x",Artist - Title": the length (none when -1 or unreadable) and the
// text after the first comma outside quotes.
void parse_extinf(std::string_view rest, std::optional<Ms>& length, std::string& artist,
                  std::string& title) {
    std::size_t i = 0;
    while (i < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '-' || rest[i] == '.'))
        ++i;
    try {
        const double seconds = std::stod(std::string(rest.substr(0, i)));
        if (seconds > 0 && seconds < 86400)
            length = Ms{static_cast<Ms::rep>(std::llround(seconds * 1000))};
    } catch (const std::exception&) {
    }
    bool quoted = false;
    for (; i < rest.size(); ++i) {
        if (rest[i] == '"') quoted = !quoted;
        if (rest[i] == ',' && !quoted) {
            split_extinf_title(trim(rest.substr(i + 1)), artist, title);
            return;
        }
    }
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80                   ? 1
                                : (c >= 0xC2 && c <= 0xDF) ? 2
                                : (c & 0xF0) == 0xE0       ? 3
                                : (c >= 0xF0 && c <= 0xF4) ? 4
                                                           : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

std::optional<std::string> utf16_to_utf8(std::string_view bytes, bool big_endian) {
    if (bytes.size() % 2) return std::nullopt;
    std::string out;
    out.reserve(bytes.size());
    auto unit = [&](std::size_t i) {
        const auto a = static_cast<unsigned char>(bytes[i]),
                   b = static_cast<unsigned char>(bytes[i + 1]);
        return static_cast<std::uint32_t>(big_endian ? (a << 8 | b) : (b << 8 | a));
    };
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        std::uint32_t cp = unit(i);
        if (cp >= 0xD800 && cp < 0xDC00) {
            if (i + 3 >= bytes.size()) return std::nullopt;
            const std::uint32_t lo = unit(i + 2);
            if (lo < 0xDC00 || lo >= 0xE000) return std::nullopt;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            return std::nullopt;
        }
        append_utf8(out, cp);
    }
    return out;
}

// "My%20Song.flac" -> "My Song.flac"; nullopt when there is nothing to decode.
std::optional<std::string> percent_decoded(std::string_view s) {
    std::string out;
    bool any = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
            any = true;
        } else {
            out += s[i];
        }
    }
    if (!any) return std::nullopt;
    return out;
}

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Why an entry is not audio Stillroom plays ("" when it is).
std::string not_audio_reason(const fs::path& p) {
    const std::string ext = lower(p.extension().string());
    static const char* const audio[] = {".flac", ".wav", ".ogg",  ".oga", ".opus", ".mp3", ".m4a",
                                        ".aac",  ".aif", ".aiff", ".wv",  ".caf",  ".webm"};
    for (const char* a : audio)
        if (ext == a) return "";
    static const char* const images[] = {".jpg",  ".jpeg", ".png",  ".gif", ".bmp",
                                         ".webp", ".tif",  ".tiff", ".heic"};
    for (const char* i : images)
        if (ext == i) return "is an image (" + ext + "), not audio";
    static const char* const lists[] = {".m3u", ".m3u8", ".pls", ".cue", ".xspf"};
    for (const char* l : lists)
        if (ext == l) return "is a playlist (" + ext + "); import it on its own";
    if (ext.empty())
        return "has no file extension; Stillroom plays FLAC, WAV, Ogg, Opus, MP3 and AIFF";
    return "is not audio Stillroom plays (" + ext +
           "); it plays FLAC, WAV, Ogg, Opus, MP3 and AIFF";
}

bool is_windows_absolute(std::string_view s) {
    if (s.size() >= 3 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':' &&
        (s[2] == '\\' || s[2] == '/'))
        return true;
    return s.size() >= 2 && s[0] == '\\' && s[1] == '\\'; // UNC \\server\share
}

// The longest tail of a Windows path (after the drive or share) that is a file in the library.
std::optional<fs::path> windows_tail_in_library(std::string_view entry, const fs::path& library) {
    std::vector<std::string> parts;
    std::string cur;
    for (std::size_t i = entry[1] == ':' ? 3 : 2; i < entry.size() && parts.size() < 64; ++i) {
        if (entry[i] == '\\' || entry[i] == '/') {
            if (!cur.empty()) parts.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += entry[i];
        }
    }
    if (!cur.empty()) parts.push_back(std::move(cur));
    // The library's files (bounded), each as its path components below the library.
    std::vector<std::vector<std::string>> files;
    std::error_code ec;
    std::size_t seen = 0;
    for (fs::recursive_directory_iterator
             it(library, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end && seen < 100000; it.increment(ec), ++seen) {
        if (!it->is_regular_file(ec)) continue;
        std::vector<std::string> comps;
        for (const auto& c : fs::relative(it->path(), library, ec))
            comps.push_back(c.string());
        files.push_back(std::move(comps));
    }
    // The longest tail (folders and name) that exactly one library file ends with.
    for (std::size_t start = 0; start < parts.size(); ++start) {
        const std::size_t n = parts.size() - start;
        const std::vector<std::string>* match = nullptr;
        int matches = 0;
        for (const auto& f : files) {
            if (f.size() < n || !std::equal(parts.begin() + static_cast<std::ptrdiff_t>(start),
                                            parts.end(), f.end() - static_cast<std::ptrdiff_t>(n)))
                continue;
            match = &f;
            ++matches;
        }
        if (matches == 1) {
            fs::path found = library;
            for (const auto& c : *match)
                found /= c;
            return found;
        }
        if (matches > 1) return std::nullopt; // ambiguous: reported, not guessed
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> m3u_text_to_utf8(std::string_view bytes, std::string& encoding) {
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
        static_cast<unsigned char>(bytes[1]) == 0xFE) {
        encoding = "utf-16le";
        return utf16_to_utf8(bytes.substr(2), false);
    }
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFE &&
        static_cast<unsigned char>(bytes[1]) == 0xFF) {
        encoding = "utf-16be";
        return utf16_to_utf8(bytes.substr(2), true);
    }
    if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
    if (valid_utf8(bytes)) {
        encoding = "utf-8";
        return std::string(bytes);
    }
    encoding = "latin-1"; // every byte is a character: nothing is lost, nothing becomes U+FFFD
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 4);
    for (char c : bytes)
        append_utf8(out, static_cast<unsigned char>(c));
    return out;
}

M3uImport import_m3u(std::string_view bytes, const fs::path& m3u_dir, const fs::path& library_dir,
                     const std::string& id, const std::string& file_label,
                     const M3uOptions& options) {
    M3uImport out;
    out.problems.set_file(file_label);
    out.playlist.id = id;
    out.playlist.name = id;
    std::string encoding;
    const auto decoded = m3u_text_to_utf8(bytes, encoding);
    if (!decoded) {
        out.problems.error("", "starts with a UTF-16 byte order mark but is not valid UTF-16");
        return out;
    }
    if (encoding == "latin-1")
        out.problems.warning(
            "", "not valid UTF-8; read as Latin-1 (ISO-8859-1), as older players write .m3u");
    const std::string_view text = *decoded;
    const fs::path library = fs::weakly_canonical(library_dir);
    std::string pending_artist, pending_title;
    std::optional<Ms> pending_length;
    auto forget = [&] {
        pending_artist.clear();
        pending_title.clear();
        pending_length.reset();
    };
    std::size_t line_no = 0;
    std::size_t pos = 0;
    // Bounded whatever the body does: a text of n bytes has at most n + 1 lines.
    constexpr std::size_t kMaxLines = 100000;
    for (std::size_t lines_left = text.size() + 1;
         pos <= text.size() && lines_left > 0 && line_no < kMaxLines; --lines_left) {
        // A line ends at LF, CRLF or a lone CR (iTunes / Music exports).
        auto nl = text.find_first_of("\r\n", pos);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = trim(text.substr(pos, nl - pos));
        pos = nl + 1;
        if (nl < text.size() && text[nl] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
        ++line_no;
        const std::string where = "line " + std::to_string(line_no);
        if (line.empty()) continue;
        if (line.front() == '#') {
            if (line.rfind("#EXTINF:", 0) == 0) {
                forget();
                parse_extinf(line.substr(8), pending_length, pending_artist, pending_title);
            } else if (line.rfind("#PLAYLIST:", 0) == 0) {
                out.playlist.name = std::string(trim(line.substr(10)));
            }
            continue; // #EXTM3U and other comments
        }
        std::string entry(line);
        if (entry.find("\xEF\xBF\xBD") != std::string::npos) {
            out.problems.error(where, "\"" + entry +
                                          "\" contains U+FFFD: a character was lost before this "
                                          "file was written; fix the entry");
            forget();
            continue;
        }
        std::vector<fs::path> candidates;
        if (entry.rfind("file://", 0) == 0) {
            candidates.push_back(file_url_to_path(entry));
        } else if (is_url(entry)) {
            out.problems.error(where, "\"" + entry +
                                          "\" is a URL; Stillroom plays only files in the library");
            forget();
            continue;
        } else if (is_windows_absolute(entry)) {
            std::optional<fs::path> found;
            if (options.windows_paths == WindowsPaths::Tail)
                found = windows_tail_in_library(entry, library);
            if (!found) {
                out.problems.error(
                    where, "\"" + entry + "\" is a Windows path" +
                               (options.windows_paths == WindowsPaths::Tail
                                    ? "; no file in the library ends with its folders and name"
                                    : "; use --windows-paths tail to find it by the end of its "
                                      "path inside the library"));
                forget();
                continue;
            }
            candidates.push_back(*found);
        } else {
            // As written, then percent-decoded (VLC encodes relative entries too). Windows
            // players write backslashes.
            for (std::string form : {entry, percent_decoded(entry).value_or(std::string{})}) {
                if (form.empty()) continue;
                for (char& c : form)
                    if (c == '\\') c = '/';
                candidates.emplace_back(form);
            }
        }
        fs::path resolved;
        for (fs::path path : candidates) {
            if (path.is_relative()) path = m3u_dir / path;
            std::error_code ec;
            const fs::path r = fs::weakly_canonical(path, ec);
            if (!ec && fs::is_regular_file(r, ec)) {
                resolved = r;
                break;
            }
        }
        const std::string reason =
            not_audio_reason(resolved.empty() ? candidates.back() : resolved);
        if (!reason.empty()) {
            out.problems.error(where, "\"" + entry + "\" " + reason);
            forget();
            continue;
        }
        if (resolved.empty()) {
            out.problems.error(where, "\"" + entry + "\" does not exist");
            forget();
            continue;
        }
        const fs::path rel = resolved.lexically_relative(library);
        if (rel.empty() || rel.begin()->string() == "..") {
            out.problems.error(where, "\"" + entry + "\" is outside the library " +
                                          library.string() + "; copy it into the library first");
            forget();
            continue;
        }
        Track t;
        t.file = rel.generic_string();
        t.artist = pending_artist;
        t.title = pending_title;
        t.listed_length = pending_length;
        out.playlist.tracks.push_back(std::move(t));
        forget();
    }
    if (line_no >= kMaxLines)
        out.problems.error("", "more than 100000 lines; the rest were not read");
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

// The curator's audio files over the API (docs/api.md, "Audio files"): list the library's
// audio, preview a file by HTTP range streaming, upload a file in chunks of at most the
// server's body limit (Content-Range), checked with libsndfile and renamed into place
// atomically. Every path is library-relative and must stay inside the library; uploads go
// under the library's audio/ folder only.
#pragma once

#include "control/audio_uploads.hpp"
#include "control/auth.hpp"
#include "engine/json_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace stillroom {

inline constexpr std::size_t kMaxAudioListed = 5000;

// The file a library-relative audio path names, or nullopt with *error. The path must be
// relative, without "." or ".." components or hidden names, have an audio extension, and
// (resolving symlinks) stay inside the library; with `upload`, it must start with "audio/".
std::optional<std::filesystem::path> library_audio_path(const std::filesystem::path& library_dir,
                                                        const std::string& relative, bool upload,
                                                        std::string* error);

// Every audio file in the library (hidden folders skipped), sorted, at most kMaxAudioListed:
// {"files": [{"file", "size", "length"?, "sample_rate"?, "channels"?, "format"?, "error"?}],
//  "truncated": bool}.
Json list_library_audio(const std::filesystem::path& library_dir);

// One route; HttpApi registers it behind its token and role checks.
struct AudioRoute {
    std::string method; // "GET" | "PUT" | "DELETE"
    std::string pattern;
    Role role;
    std::function<void(const httplib::Request&, httplib::Response&)> handler;
};

// The route of one audio file (GET: the preview, PUT: an upload, DELETE).
inline constexpr const char* kAudioFileRoute = R"(/api/v1/audio/files/(.+))";

// A byte range of a file of `size` bytes, as RFC 9110 section 14 defines it.
struct ByteRange {
    std::uintmax_t first = 0;
    std::uintmax_t last = 0; // inclusive
};
// The satisfiable ranges of a Range header already split by httplib into (first, last) pairs,
// -1 where absent ("500-": (500, -1); "-500", the last 500 bytes: (-1, 500)). A last-pos past
// the end is cut to the end; a range starting at or past the end, and a suffix of 0 bytes,
// are not satisfiable and left out (section 14.1.2). Empty: answer 416 with
// "Content-Range: bytes */SIZE" (section 15.5.17).
std::vector<ByteRange>
satisfiable_ranges(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges,
                   std::uintmax_t size);

// GET /api/v1/audio/files, GET|PUT|DELETE /api/v1/audio/files/<path> (curator role).
std::vector<AudioRoute> audio_routes(const std::filesystem::path& library_dir,
                                     std::shared_ptr<AudioUploads> uploads);

} // namespace stillroom

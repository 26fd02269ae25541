// The curator's audio files over the API (docs/api.md, "Audio files"): list the library's
// audio, preview a file by HTTP range streaming, upload a file in chunks of at most the
// server's body limit (Content-Range), checked with libsndfile and renamed into place
// atomically. Every path is library-relative and must stay inside the library; uploads go
// under the library's audio/ folder only.
#pragma once

#include "control/auth.hpp"
#include "engine/json_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
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

inline constexpr std::uintmax_t kMaxAudioUpload = std::uintmax_t{1} << 30; // 1 GiB
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

struct UploadChunk {
    std::uintmax_t start = 0; // byte offset of this chunk
    std::uintmax_t total = 0; // the whole file's size
};

// Parses "bytes START-END/TOTAL" for a body of `body_size` bytes.
std::optional<UploadChunk> parse_upload_range(const std::string& header, std::size_t body_size,
                                              std::string* error);

struct UploadResult {
    int status = 200; // 202 more expected, 201 saved, 4xx refused
    Json body;
};

// Receives uploads. Each chunk is appended to a hidden part file beside the destination;
// the last one is checked (decoded to the end with libsndfile) and renamed over nothing
// (or over the old file with `replace`). Any thread; one upload step at a time.
class AudioUploads {
public:
    explicit AudioUploads(std::filesystem::path library_dir,
                          std::uintmax_t max_size = kMaxAudioUpload)
        : dir_(std::move(library_dir)), max_size_(max_size) {}
    UploadResult receive(const std::string& relative, const UploadChunk& chunk,
                         const std::string& data, bool replace);

private:
    std::filesystem::path dir_;
    std::uintmax_t max_size_;
    std::mutex mutex_;
};

// One route; HttpApi registers it behind its token and role checks.
struct AudioRoute {
    std::string method; // "GET" | "PUT"
    std::string pattern;
    Role role;
    std::function<void(const httplib::Request&, httplib::Response&)> handler;
};

// The route of one audio file (GET: the preview, PUT: an upload).
inline constexpr const char* kAudioFileRoute = R"(/api/v1/audio/files/(.+))";

// GET /api/v1/audio/files, GET|PUT /api/v1/audio/files/<path> (curator role).
std::vector<AudioRoute> audio_routes(const std::filesystem::path& library_dir);

} // namespace stillroom

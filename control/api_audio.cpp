// The curator's audio files: list, range-streamed preview, chunked upload.
#include "control/api_audio.hpp"

#include "playlists/loudness.hpp"

#include "playlists/sndfile.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

struct AudioType {
    const char* ext;
    const char* mime;
};
constexpr std::array<AudioType, 11> kTypes{{{".flac", "audio/flac"},
                                            {".wav", "audio/wav"},
                                            {".ogg", "audio/ogg"},
                                            {".oga", "audio/ogg"},
                                            {".opus", "audio/ogg"},
                                            {".mp3", "audio/mpeg"},
                                            {".m4a", "audio/mp4"},
                                            {".aac", "audio/aac"},
                                            {".webm", "audio/webm"},
                                            {".aif", "audio/aiff"},
                                            {".aiff", "audio/aiff"}}};

const AudioType* audio_type(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& t : kTypes)
        if (ext == t.ext) return &t;
    return nullptr;
}

bool inside(const fs::path& base, const fs::path& p) {
    auto b = base.begin(), i = p.begin();
    for (; b != base.end(); ++b, ++i)
        if (i == p.end() || *i != *b) return false;
    return true;
}

void reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(dump_json(body), "application/json");
}

} // namespace

std::optional<fs::path> library_audio_path(const fs::path& library_dir, const std::string& relative,
                                           bool upload, std::string* error) {
    const fs::path rel(relative);
    if (relative.empty() || rel.is_absolute() || relative.find('\\') != std::string::npos ||
        relative.find('\0') != std::string::npos) {
        *error = "expected a path inside the library, like audio/onset-1.flac";
        return std::nullopt;
    }
    for (const auto& part : rel) {
        const std::string s = part.string();
        if (s.empty() || s[0] == '.') {
            *error = "a path may not contain \".\", \"..\" or hidden names";
            return std::nullopt;
        }
    }
    if (!audio_type(rel)) {
        *error = "expected an audio file (.flac, .wav, .ogg, .opus, .mp3, .m4a, .aac, .aiff)";
        return std::nullopt;
    }
    if (upload && *rel.begin() != "audio") {
        *error = "uploads go into the library's audio/ folder: audio/NAME";
        return std::nullopt;
    }
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(library_dir, ec);
    const fs::path full = fs::weakly_canonical(library_dir / rel, ec);
    if (ec || !inside(base, full)) {
        *error = "the path leads outside the library";
        return std::nullopt;
    }
    return full;
}

Json list_library_audio(const fs::path& library_dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    bool truncated = false;
    fs::recursive_directory_iterator it(library_dir, fs::directory_options::skip_permission_denied,
                                        ec),
        end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.filename().string().starts_with(".")) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec) || !audio_type(p)) continue;
        if (found.size() >= kMaxAudioListed) {
            truncated = true;
            break;
        }
        found.push_back(p.lexically_relative(library_dir));
    }
    std::sort(found.begin(), found.end());
    Json files = Json::array();
    for (const auto& rel : found) {
        Json j = {{"file", rel.generic_string()}, {"size", fs::file_size(library_dir / rel, ec)}};
        std::string error;
        if (auto info = probe_audio(library_dir / rel, &error)) {
            j["length"] =
                info->sample_rate > 0 ? static_cast<double>(info->frames) / info->sample_rate : 0.0;
            j["sample_rate"] = info->sample_rate;
            j["channels"] = info->channels;
            j["format"] = info->format;
        } else {
            j["error"] = error;
        }
        files.push_back(std::move(j));
    }
    return {{"files", files}, {"truncated", truncated}};
}

std::vector<ByteRange>
satisfiable_ranges(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges,
                   std::uintmax_t size) {
    std::vector<ByteRange> out;
    for (const auto& [first, last] : ranges) {
        if (first < 0 && last < 0) continue; // not a range
        if (first < 0) {                     // a suffix: the last `last` bytes
            const auto n = static_cast<std::uintmax_t>(last);
            if (n == 0 || size == 0) continue;
            out.push_back({size - std::min(n, size), size - 1});
            continue;
        }
        const auto from = static_cast<std::uintmax_t>(first);
        if (from >= size) continue;
        if (last >= 0 && static_cast<std::uintmax_t>(last) < from) continue;
        const std::uintmax_t to =
            last < 0 ? size - 1 : std::min(static_cast<std::uintmax_t>(last), size - 1);
        out.push_back({from, to});
    }
    return out;
}

std::vector<AudioRoute> audio_routes(const fs::path& library_dir,
                                     std::shared_ptr<AudioUploads> uploads) {
    std::vector<AudioRoute> routes;
    routes.push_back({"GET", "/api/v1/audio/files", Role::Curator,
                      [library_dir, uploads](const httplib::Request&, httplib::Response& res) {
                          Json list = list_library_audio(library_dir);
                          // The background whole-file check of files uploaded since the start,
                          // and each file's loudness: measured by that check, else as the
                          // library's loudness cache has it (nothing is measured here).
                          LoudnessCache cache(library_dir);
                          for (auto& f : list["files"]) {
                              const std::string file = f["file"].get<std::string>();
                              Json check = uploads->check_status(file);
                              if (!check.is_null()) f["check"] = std::move(check);
                              Json lufs = uploads->lufs(file);
                              if (lufs.is_null())
                                  if (auto l = cache.cached(file)) lufs = l->integrated_lufs;
                              f["lufs"] = std::move(lufs);
                          }
                          reply(res, 200, list);
                      }});
    // Preview: ranges (an <audio> element seeking) are answered 206. httplib 0.11 applies a
    // request's ranges itself without bounds checks (a range past the end answered 206 with
    // a Content-Length near 2^64, "-0" an empty 206), so they are checked here first: the
    // satisfiable ones are handed back to httplib exactly, none at all is 416.
    routes.push_back(
        {"GET", kAudioFileRoute, Role::Curator,
         [library_dir](const httplib::Request& req, httplib::Response& res) {
             std::string error;
             auto path = library_audio_path(library_dir, req.matches[1], false, &error);
             if (!path)
                 return reply(res, 400, {{"error", std::string(req.matches[1]) + ": " + error}});
             std::error_code ec;
             const auto size = fs::file_size(*path, ec);
             auto in = std::make_shared<std::ifstream>(*path, std::ios::binary);
             if (ec || !*in) return reply(res, 404, {{"error", "no such audio file"}});
             if (!req.ranges.empty()) {
                 std::vector<std::pair<std::int64_t, std::int64_t>> asked;
                 for (const auto& [first, last] : req.ranges)
                     asked.emplace_back(first, last);
                 const auto ok = satisfiable_ranges(asked, size);
                 // The request is httplib's own, not const data: the ranges it applies when
                 // it writes the answer are replaced by the checked ones.
                 auto& ranges = const_cast<httplib::Request&>(req).ranges;
                 ranges.clear();
                 for (const auto& r : ok)
                     ranges.emplace_back(static_cast<ssize_t>(r.first),
                                         static_cast<ssize_t>(r.last));
                 if (ok.empty()) {
                     res.set_header("Content-Range", "bytes */" + std::to_string(size));
                     return reply(res, 416,
                                  {{"error", "Range: no part of the asked range is in the file (" +
                                                 std::to_string(size) + " bytes)"}});
                 }
                 res.status = 206;
             }
             res.set_header("Cache-Control", "no-store");
             res.set_content_provider(
                 static_cast<std::size_t>(size), audio_type(*path)->mime,
                 [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                     std::array<char, 64 * 1024> buf{};
                     in->clear();
                     in->seekg(static_cast<std::streamoff>(offset));
                     const auto want = std::min(length, buf.size());
                     in->read(buf.data(), static_cast<std::streamsize>(want));
                     const auto got = in->gcount();
                     return got > 0 && sink.write(buf.data(), static_cast<std::size_t>(got));
                 });
         }});
    routes.push_back(
        {"PUT", kAudioFileRoute, Role::Curator,
         [uploads](const httplib::Request& req, httplib::Response& res) {
             std::string error;
             auto chunk =
                 parse_upload_range(req.get_header_value("Content-Range"), req.body.size(), &error);
             if (!chunk) return reply(res, 400, {{"error", error}});
             const bool replace = req.has_param("replace") && req.get_param_value("replace") == "1";
             auto r = uploads->receive(req.matches[1], *chunk, req.body, replace);
             reply(res, r.status, r.body);
             if (r.status == 429)
                 res.set_header("Retry-After", std::to_string(r.body.value("retry_after", 1)));
         }});
    routes.push_back({"DELETE", kAudioFileRoute, Role::Curator,
                      [uploads](const httplib::Request& req, httplib::Response& res) {
                          auto r = uploads->remove(req.matches[1]);
                          reply(res, r.status, r.body);
                      }});
    return routes;
}

} // namespace stillroom

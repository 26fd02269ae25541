// Past sessions over the HTTP API: GET /api/v1/history and GET /api/v1/reports/ID?format=…
// The replies are made here (no HTTP library), the routes in http_api.cpp.
#pragma once

#include "engine/json_reader.hpp"

#include <filesystem>
#include <string>

namespace stillroom {

struct ReportReply {
    int status = 200;
    std::string content_type;
    std::string body;
    std::string filename; // for Content-Disposition (csv, html); empty for json
};

// A session's report in json, csv or html; 400 for a bad id or format, 404 for no journal.
ReportReply report_reply(const std::filesystem::path& state_dir, const std::string& id,
                         const std::string& format);

// {"sessions": [history entries, newest first]}.
Json history_reply(const std::filesystem::path& state_dir);

} // namespace stillroom

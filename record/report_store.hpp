// Past sessions in the state dir: a session's report by id, the history list, and retention
// (journals older than the room's retention_days are deleted). Reads journals only through
// read_journal(), so the journal's format and checks stay in journal.cpp.
#pragma once

#include "engine/json_reader.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace stillroom {

// A session id as the room makes them ("s-" and hex digits): letters, digits, '-', at most
// 64 characters. Anything else (slashes, dots) is refused before touching the disk.
bool is_valid_session_id(std::string_view id);

// The report for a session, or nullopt when there is no journal for that id.
std::optional<Json> load_session_report(const std::filesystem::path& state_dir,
                                        const std::string& id);

// Every session in the state dir, newest first: history_entry() of each report.
Json session_history(const std::filesystem::path& state_dir);

// Deletes journals (and their anchors) last written more than `days` days before `now`,
// except the session `keep` (the one running). Returns how many sessions were deleted.
int delete_expired_journals(const std::filesystem::path& state_dir,
                            std::chrono::system_clock::time_point now, int days,
                            const std::string& keep = {});

} // namespace stillroom

// Paths that library files name (tracks, sounds, the JSON files themselves), kept inside the
// library: relative, no "..", and still inside after every symlink is resolved. Files are
// opened without blocking (a FIFO or a device in the library must not hang a request) and
// must be regular files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace stillroom {

// Why `rel` cannot name a file in a library by its text alone ("" if it can): empty,
// absolute, or with a ".." part.
std::string library_path_problem(const std::string& rel);

// dir/rel with every symlink resolved, if that exists and lies inside `dir` (also resolved);
// otherwise nullopt with *error ("leads outside the library ...", "does not exist"). The
// target of an escaping link is not named: the answer may go to the tablet.
std::optional<std::filesystem::path> resolve_in_library(const std::filesystem::path& dir,
                                                        const std::string& rel, std::string* error);

// Opens `path` read-only without blocking and checks that it is a regular file (not a FIFO,
// socket or device). Returns the descriptor (caller closes) or -1 with *error.
int open_regular_file(const std::filesystem::path& path, std::string* error);

// Reads a whole regular file of at most `max_bytes` (opened as above). nullopt with *error.
std::optional<std::string> read_regular_file(const std::filesystem::path& path,
                                             std::size_t max_bytes, std::string* error);

} // namespace stillroom

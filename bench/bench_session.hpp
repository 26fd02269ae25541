// The audio benchmarks' session: one playlist "p" of library files (loudness measured and
// cached) and a template that plays it, as the room would build it.
#pragma once

#include "engine/session.hpp"
#include "playlists/loudness.hpp"
#include "playlists/playlist.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace stillroom::bench {

// `playlist` holds the playlist's settings ("crossfade", "loop"); its tracks are `files`.
inline SessionSetup bench_session(const std::filesystem::path& dir,
                                  const std::vector<std::string>& files, Json playlist,
                                  const Json& tmpl) {
    Json tracks = Json::array();
    for (const auto& f : files)
        tracks.push_back({{"file", f}});
    playlist["tracks"] = tracks;
    Problems problems("bench");
    auto loaded = load_playlist(playlist, "p", problems);
    LoudnessCache cache(dir);
    PlaylistCatalog catalog;
    catalog["p"] = playlist_info(*loaded, dir, problems, &cache);
    cache.save();
    SessionSetup setup;
    setup.id = "bench";
    setup.tmpl = *load_template(tmpl, "bench", problems);
    setup.template_json = tmpl;
    setup.playlists = catalog;
    setup.max_volume_db = -6;
    return setup;
}

} // namespace stillroom::bench

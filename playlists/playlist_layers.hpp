// A piece in layers (a playlist track with "layers"): checks its stems and measures them
// together. Used by playlist_info(); see docs/files.md "Layered pieces".
#pragma once

#include "engine/catalog.hpp"
#include "engine/problems.hpp"
#include "playlists/playlist.hpp"

#include <filesystem>

namespace stillroom {

// Fills `ti` (length, gain, layers) for the layered track `t` at index `index`: every layer
// must be playable and of one length at `room_rate`; the trims apply to every layer; the
// gain normalises the loudest layer (so the layers keep their balance). Problems name
// tracks[index].layers[j].file.
void layered_track_info(const Track& t, std::size_t index, const std::filesystem::path& library_dir,
                        Problems& problems, LoudnessCache* loudness, int room_rate, TrackInfo& ti);

} // namespace stillroom

// Layered pieces: stems of one length, measured together.
#include "playlists/playlist_layers.hpp"

#include "engine/duration.hpp"
#include "engine/library_path.hpp"
#include "playlists/audio_source.hpp"
#include "playlists/loudness.hpp"

#include <algorithm>

namespace stillroom {

void layered_track_info(const Track& t, std::size_t index, const std::filesystem::path& library_dir,
                        Problems& problems, LoudnessCache* loudness, int room_rate, TrackInfo& ti) {
    const std::string base = json_path_key(json_path_index("tracks", index), "layers");
    ti.layers = t.layers;
    bool playable = true;
    std::optional<std::int64_t> first_frames; // at the room's rate
    Ms file_length{0};
    Loudness loudest;
    bool measured_all = loudness != nullptr;
    bool pending_any = false;
    for (std::size_t j = 0; j < t.layers.size(); ++j) {
        const TrackLayer& layer = t.layers[j];
        const std::string path = json_path_key(json_path_index(base, j), "file");
        std::string error;
        const auto resolved = resolve_in_library(library_dir, layer.file, &error);
        const auto audio = resolved ? probe_audio(*resolved, &error) : std::nullopt;
        if (!audio || audio->sample_rate <= 0) {
            problems.error(path, "\"" + layer.file + "\" cannot be played: " + error);
            playable = false;
            continue;
        }
        // One length at the room's rate: the frames the decoder will deliver after resampling.
        const std::int64_t frames = audio->frames * room_rate / audio->sample_rate;
        if (!first_frames) {
            first_frames = frames;
            file_length = Ms{audio->frames * 1000 / audio->sample_rate};
        } else if (frames != *first_frames) {
            problems.error(path, "\"" + layer.file + "\" is " + std::to_string(frames) +
                                     " frames at the room's " + std::to_string(room_rate) +
                                     " Hz where the first layer is " +
                                     std::to_string(*first_frames) +
                                     ": the layers of a piece must be of one length");
            playable = false;
        }
        if (!loudness || too_long_to_measure(audio->frames, audio->sample_rate)) {
            measured_all = false;
            continue;
        }
        std::string lerror;
        bool pending = false;
        if (auto l = loudness->get(layer.file, &lerror, &pending)) {
            loudest.integrated_lufs = std::max(loudest.integrated_lufs, l->integrated_lufs);
            loudest.true_peak_dbtp = std::max(loudest.true_peak_dbtp, l->true_peak_dbtp);
        } else if (pending) {
            measured_all = false;
            pending_any = true;
        } else {
            problems.error(path, "\"" + layer.file + "\" cannot be measured: " + lerror);
            playable = false;
        }
    }
    if (!playable || !first_frames) return;
    const Ms end = t.out ? std::min(*t.out, file_length) : file_length;
    if (end <= t.in) {
        problems.error(json_path_key(json_path_index("tracks", index), "in"),
                       "\"in\" is at or past the end of the layers (" +
                           format_duration(file_length) + ")");
        return;
    }
    ti.length = end - t.in;
    if (measured_all) {
        ti.gain_db += normalisation_gain_db(loudest);
    } else if (loudness) {
        problems.warning(base, pending_any ? "loudness analysis pending; the piece plays at its "
                                             "own level until its layers are measured"
                                           : "the layers are not all measured; the piece plays "
                                             "at its own level");
    }
}

} // namespace stillroom

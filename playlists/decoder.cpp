// The decoder: file -> stereo -> device rate -> ring.
#include "playlists/decoder.hpp"

#include <algorithm>

namespace stillroom {

namespace {

constexpr std::int64_t kChunkSourceFrames = 4096;

void fail(Voice& v, std::string why) {
    v.error = std::move(why);
    v.failed.store(true);
    v.decoded_all.store(true);
}

// Any channel count to stereo: mono to both sides, stereo as is, more: even channels to
// the left, odd to the right, averaged.
void to_stereo(const float* in, std::int64_t frames, int channels, float* out) {
    if (channels == 1) {
        for (std::int64_t i = 0; i < frames; ++i)
            out[2 * i] = out[2 * i + 1] = in[i];
        return;
    }
    if (channels == 2) {
        std::copy(in, in + frames * 2, out);
        return;
    }
    const int left_count = (channels + 1) / 2;
    const int right_count = channels / 2;
    for (std::int64_t i = 0; i < frames; ++i) {
        float l = 0, r = 0;
        for (int c = 0; c < channels; ++c)
            (c % 2 ? r : l) += in[i * channels + c];
        out[2 * i] = l / static_cast<float>(left_count);
        out[2 * i + 1] = r / static_cast<float>(right_count);
    }
}

} // namespace

void open_voice(Voice& v) {
    std::string error;
    v.source = open_audio(v.path, &error);
    if (!v.source) return fail(v, "cannot open " + v.file + ": " + error);
    const auto& info = v.source->info();
    v.start_source_frame = v.start_ms * info.sample_rate / 1000;
    if (v.start_source_frame >= info.frames)
        return fail(v, v.file + " is shorter than the position asked for");
    if (v.start_source_frame > 0 && !v.source->seek(v.start_source_frame))
        return fail(v, "cannot seek in " + v.file);
    v.source_expected = std::max<std::int64_t>(0, info.frames - v.start_source_frame);
    if (info.sample_rate != v.device_rate) {
        v.resampler = Resampler::create(info.sample_rate, v.device_rate, &error);
        if (!v.resampler) return fail(v, "resampler: " + error);
    }
    const auto ratio = static_cast<double>(v.device_rate) / info.sample_rate;
    v.src_buffer.resize(static_cast<std::size_t>(kChunkSourceFrames * info.channels));
    v.stereo_buffer.resize(static_cast<std::size_t>(kChunkSourceFrames * 2));
    v.out_buffer.resize(
        static_cast<std::size_t>((static_cast<double>(kChunkSourceFrames) * ratio + 64) * 2));
}

std::int64_t fill_voice(Voice& v, std::int64_t max_frames) {
    if (v.decoded_all.load() || !v.source) return 0;
    std::int64_t written = 0;
    const int channels = v.source->info().channels;
    while (written < max_frames) {
        std::int64_t remaining =
            v.length_frames >= 0 ? v.length_frames - v.decoded_frames : INT64_MAX;
        if (remaining <= 0) {
            v.decoded_all.store(true);
            break;
        }
        const double ratio = v.resampler ? v.resampler->ratio() : 1.0;
        const std::int64_t room = v.ring.writable();
        // Keep room for one resampled chunk.
        const auto needed =
            static_cast<std::int64_t>(static_cast<double>(kChunkSourceFrames) * ratio) + 64;
        if (room < needed) break;
        const float* out = v.out_buffer.data();
        std::int64_t out_frames = 0;
        bool end = false;
        if (v.input_done) {
            // Only with a resampler: the file is read; deliver the tail still in its filter.
            const auto capacity = static_cast<std::int64_t>(v.out_buffer.size() / 2);
            if (!v.resampler->flush(v.out_buffer.data(), capacity, out_frames)) {
                fail(v, "resampling failed for " + v.file);
                return written;
            }
            if (out_frames == 0) {
                v.decoded_all.store(true);
                break;
            }
        } else {
            const std::int64_t want = std::min(kChunkSourceFrames, v.source_expected);
            std::int64_t got = want > 0 ? v.source->read(v.src_buffer.data(), want) : 0;
            end = got < kChunkSourceFrames;
            if (got < want) {
                // The header promised more than the file holds: a truncated file.
                fail(v, v.file + " is truncated or unreadable after " +
                            std::to_string((v.source->info().frames - v.source_expected) /
                                           std::max(1, v.source->info().sample_rate)) +
                            " s");
                return written;
            }
            v.source_expected -= got;
            to_stereo(v.src_buffer.data(), got, channels, v.stereo_buffer.data());
            out = v.stereo_buffer.data();
            out_frames = got;
            if (v.resampler) {
                std::int64_t used = 0;
                const auto capacity = static_cast<std::int64_t>(v.out_buffer.size() / 2);
                // out_buffer holds a whole chunk's output, so libsoxr takes the whole chunk.
                if (!v.resampler->process(v.stereo_buffer.data(), got, v.out_buffer.data(),
                                          capacity, used, out_frames) ||
                    used != got) {
                    fail(v, "resampling failed for " + v.file);
                    return written;
                }
                out = v.out_buffer.data();
                v.input_done = end;
                end = false; // the filter's tail is still to come
            }
        }
        out_frames = std::min(out_frames, remaining);
        const std::int64_t n = v.ring.write(out, out_frames);
        v.decoded_frames += n;
        written += n;
        if (end || (v.length_frames >= 0 && v.decoded_frames >= v.length_frames)) {
            v.decoded_all.store(true);
            break;
        }
    }
    return written;
}

void Decoder::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] { loop(); });
}

void Decoder::stop() {
    if (!running_.exchange(false)) return;
    wakeup_.wake();
    if (thread_.joinable()) thread_.join();
}

void Decoder::add(std::shared_ptr<Voice> voice) {
    std::lock_guard lock(mutex_);
    voices_.push_back(std::move(voice));
}

void Decoder::remove(const Voice* voice) {
    std::lock_guard lock(mutex_);
    std::erase_if(voices_, [&](const auto& v) { return v.get() == voice; });
}

std::int64_t Decoder::service() {
    std::vector<std::shared_ptr<Voice>> voices;
    {
        std::lock_guard lock(mutex_);
        voices = voices_;
    }
    std::int64_t total = 0;
    for (auto& v : voices)
        total += fill_voice(*v, v->ring.capacity());
    return total;
}

void Decoder::loop() {
    // Runs on: the decoder thread. Polls every 20 ms; rings hold seconds, so this is ample.
    while (running_.load()) {
        service();
        clock_.wait_until(clock_.now() + Ms{20}, wakeup_);
    }
}

} // namespace stillroom

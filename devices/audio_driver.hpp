// The room's audio. The mixer runs on the room's real-time mix thread and writes into a
// shared-memory ring; the device itself is played by a separate sink process
// (stillroom-audio-sink, PortAudio) so that a device or audio server that dies or hangs can
// never stall the room. A maintenance thread frees voices, reports files that cannot play,
// watches the sink and restarts it with backoff, resuming where the session is.
#pragma once

#include "library/room_config.hpp"
#include "engine/clock.hpp"
#include "engine/room_driver.hpp"
#include "playlists/audio_engine.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>

namespace stillroom {

struct SinkShared;

enum class AudioSink { PortAudio, Null };

struct AudioDriverOptions {
    std::filesystem::path library_dir;
    AudioConfig config;
    AudioSink sink = AudioSink::PortAudio;
    bool null_when_no_device = false;       // demo: fall back to a silent sink, with a warning
    std::filesystem::path sink_executable;  // default: stillroom-audio-sink beside this program
};

// The mixer's configuration for a room's audio section: output groups (1-based channels in
// room.json, 0-based here), group gains, the device's channel count and the ceiling.
MixerConfig mixer_config_from(const AudioConfig& audio);

class AudioDriver final : public RoomDriver {
public:
    using DesiredProvider = std::function<std::optional<DesiredState>()>;
    using FailureListener = std::function<void(const std::string& file, const std::string& why)>;

    // `desired` is asked for the room's desired state when a device comes back; it is called
    // from the driver's own thread. `on_failed` hears of files that cannot play.
    AudioDriver(AudioDriverOptions options, DesiredProvider desired, FailureListener on_failed);
    ~AudioDriver() override;

    void start();
    void stop();

    std::string name() const override { return "audio"; }
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState& state, MonoTime at) override;
    Json health() const override;

    // A saved room.json's output gains, applied to the running output groups with a ramp of
    // kOutputGainRamp (never a step). Outputs are matched by position and id; one whose id or
    // channels changed cannot be remapped live: its id is returned (it needs a restart).
    // Runs on: a control thread (the library watcher's).
    std::vector<std::string> set_output_gains(const std::vector<AudioOutputGroup>& outputs);
    static constexpr Ms kOutputGainRamp{2000};

    const Mixer& mixer() const { return *mixer_; }
    bool device_open() const { return open_.load(); }
    pid_t sink_pid() const { return sink_pid_.load(); }

private:
    std::int64_t frame_for(MonoTime at) const;
    void mix_loop();
    void maintenance();
    bool spawn_sink();
    void kill_sink();
    void set_status(std::string status, bool ok);
    void reconcile_locked(const DesiredState& state, MonoTime at);

    AudioDriverOptions options_;
    DesiredProvider desired_;
    FailureListener on_failed_;
    SteadyClock clock_; // audio runs in real time, whatever the session clock does
    std::unique_ptr<Mixer> mixer_;
    std::unique_ptr<Decoder> decoder_;
    std::unique_ptr<AudioEngine> audio_;
    std::mutex audio_mutex_; // guards audio_ and output_gain_db_ (control threads only, never the mix thread)
    std::vector<double> output_gain_db_; // what was last asked of each output group

    int device_channels_ = 2;
    int shm_fd_ = -1;
    SinkShared* shm_ = nullptr;
    std::size_t shm_bytes_ = 0;
    std::atomic<pid_t> sink_pid_{-1};
    int sink_stdin_ = -1;
    std::atomic<bool> sink_live_{false}; // the mix thread may write
    std::atomic<bool> open_{false};      // audio reaches the room
    std::atomic<bool> running_{false};
    AudioSink mode_;
    std::thread mix_thread_;
    std::thread maintenance_thread_;

    mutable std::mutex status_mutex_;
    std::string status_ = "starting";
    bool ok_ = false;
};

} // namespace stillroom

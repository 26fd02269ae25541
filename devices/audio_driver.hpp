// The room's audio. The mixer runs on the room's real-time mix thread and writes into a
// shared-memory ring; the device itself is played by a separate sink process
// (stillroom-audio-sink, PortAudio) so that a device or audio server that dies or hangs can
// never stall the room. A maintenance thread frees voices, reports files that cannot play,
// watches the sink and restarts it with backoff, resuming where the session is. Effects
// reach the driver through its inbox: apply() and reconcile() only queue; a loader thread
// opens, positions and prefills each new voice outside every lock, then posts it to the
// mixer stamped with the frame its session time falls on.
#pragma once

#include "devices/driver_inbox.hpp"
#include "engine/clock.hpp"
#include "engine/room_driver.hpp"
#include "library/room_config.hpp"
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
#include <variant>

namespace stillroom {

struct SinkShared;

// Manual: no device and no mix thread; the caller renders with process() (tests: time
// moves only by advance_to() and process(frames)).
enum class AudioSink { PortAudio, Null, Manual };

struct AudioDriverOptions {
    std::filesystem::path library_dir;
    AudioConfig config;
    AudioSink sink = AudioSink::PortAudio;
    bool null_when_no_device = false;       // demo: fall back to a silent sink, with a warning
    std::filesystem::path sink_executable;  // default: stillroom-audio-sink beside this program
    std::function<void(Voice&)> open_voice; // default: open_voice (tests inject a slow one)
};

// The mixer's configuration for a room's audio section: output groups (1-based channels in
// room.json, 0-based here), group gains, the device's channel count and the ceiling.
MixerConfig mixer_config_from(const AudioConfig& audio);

class AudioDriver final : public RoomDriver {
public:
    using DesiredProvider = std::function<std::optional<DesiredState>()>;
    using FailureListener = std::function<void(const std::string& file, const std::string& why)>;

    // `clock` is the room's session clock (effects' times are on it; audio runs only at
    // speed 1, so a session ms is a real ms); `device_clock` paces the sink watchdog, the
    // restart backoff and the decoder. `desired` is asked for the room's desired state when
    // a device comes back; it is called from the driver's own thread. `on_failed` hears of
    // files that cannot play (from the maintenance thread).
    AudioDriver(AudioDriverOptions options, Clock& clock, DeviceClock& device_clock,
                DesiredProvider desired, FailureListener on_failed);
    ~AudioDriver() override;

    // Hears of a layer that broke mid-piece while its piece plays on (file, piece, why), from
    // the maintenance thread: a library fault, not a track failure. Before start().
    using LayerFaultListener = std::function<void(const std::string& file, const std::string& piece,
                                                  const std::string& why)>;
    void set_layer_fault_listener(LayerFaultListener l) { on_layer_fault_ = std::move(l); }

    void start();
    void stop();

    std::string name() const override { return "audio"; }
    // Queue the work for the loader thread and return at once. Runs on: the engine thread
    // (apply also from a control thread: the tablet's test tone).
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState& state, MonoTime at) override;
    Json health() const override;
    // Blocks until everything applied so far has reached the mixer. Runs on: a control
    // thread (tests, `devices test`).
    void wait_idle() { inbox_.wait_idle(); }
    static constexpr std::size_t kInboxCapacity = 64;

    // A saved room.json's output gains, applied to the running output groups with a ramp of
    // kOutputGainRamp (never a step). Outputs are matched by position and id; one whose id or
    // channels changed cannot be remapped live: its id is returned (it needs a restart).
    // Runs on: a control thread (the library watcher's).
    std::vector<std::string> set_output_gains(const std::vector<AudioOutputGroup>& outputs);
    static constexpr Ms kOutputGainRamp{2000};

    const Mixer& mixer() const { return *mixer_; }
    // Renders `frames` frames of the device's channels (AudioSink::Manual only). Runs on:
    // the caller's thread, which is then the room's audio thread.
    void process(float* out, int frames) { mixer_->process(out, frames); }
    bool device_open() const { return open_.load(); }
    pid_t sink_pid() const { return sink_pid_.load(); }

private:
    struct ReconcileJob {
        DesiredState state;
    };
    struct Job {
        std::variant<Effect, ReconcileJob> what;
        MonoTime at;
    };
    // The mixer frame session time `at` falls on (in the past for a late effect).
    std::int64_t due_frame(MonoTime at) const;
    // Runs on: the loader thread (the inbox's).
    void load_and_post(Job& job);
    void mix_loop();
    void maintenance();
    bool spawn_sink();
    void kill_sink();
    void set_status(std::string status, bool ok);

    AudioDriverOptions options_;
    DesiredProvider desired_;
    FailureListener on_failed_;
    LayerFaultListener on_layer_fault_;
    Clock& clock_;
    DeviceClock& device_clock_;
    Wakeup maintenance_wakeup_;
    std::unique_ptr<Mixer> mixer_;
    std::unique_ptr<Decoder> decoder_;
    std::unique_ptr<AudioEngine> audio_;
    std::mutex audio_mutex_; // guards audio_ and output_gain_db_ (control threads only, never the
                             // mix thread)
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
    DriverInbox<Job> inbox_; // last: its thread stops before the members it uses go
};

} // namespace stillroom

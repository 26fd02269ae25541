// The audio driver: mix thread, sink process supervision, effects to the audio engine.
#include "devices/audio_driver.hpp"

#include "devices/sink_ring.hpp"
#include "engine/realtime_sleep.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace stillroom {

namespace fs = std::filesystem;

namespace {

constexpr Ms kWatchdog{1500};     // the sink consumed nothing for this long: it is gone
constexpr Ms kStartTimeout{5000}; // a new sink must be playing within this
constexpr Ms kBackoffFirst{500};
constexpr Ms kBackoffMax{8000};
constexpr Ms kResumeFade{2000}; // music fades back in after the device returns

fs::path default_sink_executable() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return exe.parent_path() / "stillroom-audio-sink";
}

} // namespace

MixerConfig mixer_config_from(const AudioConfig& audio) {
    MixerConfig mc;
    mc.sample_rate = audio.sample_rate;
    mc.max_volume_db = audio.max_volume_db;
    mc.max_block_frames = std::max(8192, audio.buffer_frames);
    mc.device_channels = 2;
    for (const auto& g : audio.outputs) {
        OutputGroupMap m;
        for (int c : g.channels) {
            m.channels.push_back(c - 1);
            mc.device_channels = std::max(mc.device_channels, c);
        }
        m.gain = db_to_gain(g.gain_db);
        mc.groups.push_back(m);
    }
    return mc;
}

AudioDriver::AudioDriver(AudioDriverOptions options, Clock& clock, DeviceClock& device_clock,
                         DesiredProvider desired, FailureListener on_failed)
    : options_(std::move(options)), desired_(std::move(desired)), on_failed_(std::move(on_failed)),
      clock_(clock), device_clock_(device_clock), mode_(options_.sink),
      inbox_(kInboxCapacity, [this](Job& job) { load_and_post(job); }) {
    if (options_.sink_executable.empty()) options_.sink_executable = default_sink_executable();
    const MixerConfig mc = mixer_config_from(options_.config);
    for (const auto& o : options_.config.outputs)
        output_gain_db_.push_back(o.gain_db);
    const int channels = mc.device_channels;
    device_channels_ = channels;
    mixer_ = std::make_unique<Mixer>(mc);
    decoder_ = std::make_unique<Decoder>(device_clock_);
    AudioEngineSettings settings{options_.library_dir, 4, 1};
    if (options_.open_voice) settings.open = options_.open_voice;
    audio_ = std::make_unique<AudioEngine>(std::move(settings), *mixer_, decoder_.get());

    // The ring: four device buffers, at least 2048 frames (43 ms at 48 kHz) of latency.
    const auto capacity =
        static_cast<std::uint32_t>(std::max(2048, 4 * options_.config.buffer_frames));
    shm_bytes_ = SinkShared::bytes_for(capacity, static_cast<std::uint32_t>(channels));
    shm_fd_ = memfd_create("stillroom-audio", MFD_CLOEXEC);
    if (shm_fd_ >= 0 && ftruncate(shm_fd_, static_cast<off_t>(shm_bytes_)) == 0) {
        void* mem = mmap(nullptr, shm_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd_, 0);
        if (mem != MAP_FAILED) {
            shm_ = new (mem) SinkShared{};
            shm_->magic = SinkShared::kMagic;
            shm_->channels = static_cast<std::uint32_t>(channels);
            shm_->capacity_frames = capacity;
            shm_->sample_rate = static_cast<std::uint32_t>(options_.config.sample_rate);
        }
    }
}

AudioDriver::~AudioDriver() {
    stop();
    if (shm_) munmap(shm_, shm_bytes_);
    if (shm_fd_ >= 0) close(shm_fd_);
}

void AudioDriver::set_status(std::string status, bool ok) {
    std::lock_guard lock(status_mutex_);
    if (status != status_) std::cerr << "stillroom: audio: " << status << std::endl;
    status_ = std::move(status);
    ok_ = ok;
}

bool AudioDriver::spawn_sink() {
    if (!shm_) {
        set_status("cannot create the shared audio buffer", false);
        return false;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return false;
    // Start clean: nothing stale from before is played.
    shm_->read_pos.store(shm_->write_pos.load());
    shm_->state.store(static_cast<std::uint32_t>(SinkState::Starting));
    shm_->status[0] = '\0';
    const std::string exe = options_.sink_executable.string();
    std::vector<std::string> args = {exe,
                                     "--fd",
                                     "3",
                                     "--device",
                                     options_.config.device,
                                     "--buffer",
                                     std::to_string(options_.config.buffer_frames)};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[0], 0);
    posix_spawn_file_actions_adddup2(&actions, shm_fd_, 3);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[0]);
    if (rc != 0) {
        close(pipefd[1]);
        set_status("cannot start " + exe + ": " + std::strerror(rc), false);
        return false;
    }
    sink_stdin_ = pipefd[1];
    sink_pid_ = pid;
    return true;
}

void AudioDriver::kill_sink() {
    sink_live_ = false;
    open_ = false;
    const pid_t pid = sink_pid_.exchange(-1);
    if (sink_stdin_ >= 0) {
        close(sink_stdin_); // a live sink takes this as goodbye and closes its stream
        sink_stdin_ = -1;
    }
    if (pid <= 0) return;
    for (int i = 0; i < 20; ++i) { // up to 1 s for a graceful exit
        if (waitpid(pid, nullptr, WNOHANG) == pid) return;
        device_clock_.wait_until(device_clock_.now() + Ms{50}, maintenance_wakeup_);
    }
    ::kill(pid, SIGKILL); // a sink stuck in a dead audio server
    waitpid(pid, nullptr, 0);
}

void AudioDriver::start() {
    if (running_.exchange(true)) return;
    decoder_->start();
    if (mode_ == AudioSink::PortAudio) {
        bool playing = false;
        if (spawn_sink()) {
            const DeviceTime deadline = device_clock_.now() + kStartTimeout;
            while (device_clock_.now() < deadline) {
                const auto state = static_cast<SinkState>(shm_->state.load());
                if (state == SinkState::Playing) {
                    playing = true;
                    break;
                }
                if (state == SinkState::Failed) break;
                device_clock_.wait_until(device_clock_.now() + Ms{20}, maintenance_wakeup_);
            }
        }
        if (playing) {
            sink_live_ = true;
            open_ = true;
            set_status(shm_->status, true);
        } else {
            const std::string why =
                shm_ && shm_->status[0] ? shm_->status : "the audio sink did not start";
            kill_sink();
            if (options_.null_when_no_device) {
                set_status("no audio device (" + why + "): playing to a silent sink", true);
                mode_ = AudioSink::Null;
            } else {
                set_status(why + "; retrying", false);
            }
        }
    } else if (mode_ == AudioSink::Manual) {
        set_status("rendered by the caller (no device)", true);
        open_ = true;
    } else {
        set_status("silent sink (no device by request)", true);
    }
    if (mode_ == AudioSink::Null) open_ = true;
    if (mode_ != AudioSink::Manual) mix_thread_ = std::thread([this] { mix_loop(); });
    maintenance_thread_ = std::thread([this] { maintenance(); });
    inbox_.start();
}

void AudioDriver::stop() {
    if (!running_.exchange(false)) return;
    inbox_.stop();
    maintenance_wakeup_.wake();
    if (mix_thread_.joinable()) mix_thread_.join();
    if (maintenance_thread_.joinable()) maintenance_thread_.join();
    kill_sink();
    decoder_->stop();
}

void AudioDriver::mix_loop() {
    // Runs on: the mix thread, the room's real-time audio thread. No allocation, lock, log
    // or I/O inside the loop: the mixer, a copy into shared memory, and sleeps.
    const int block = options_.config.buffer_frames;
    std::vector<float> buffer(
        static_cast<std::size_t>(block * device_channels_)); // before the loop
    const auto period = std::chrono::microseconds(static_cast<long long>(block) * 1'000'000 /
                                                  options_.config.sample_rate);
    auto next = realtime_now();
    while (running_.load(std::memory_order_relaxed)) {
        if (mode_ == AudioSink::Null) {
            mixer_->process(buffer.data(), block);
            next += period;
            if (next < realtime_now() - period * 8)
                next = realtime_now(); // fell far behind: do not race
            realtime_sleep_until(next);
            continue;
        }
        if (sink_live_.load(std::memory_order_acquire) &&
            shm_->writable() >= static_cast<std::uint64_t>(block)) {
            mixer_->process(buffer.data(), block);
            shm_->write(buffer.data(), static_cast<std::uint64_t>(block));
            continue;
        }
        // Sleep until the sink will have taken a block (at most a period, at least 1 ms):
        // about one wake-up per block, as a device callback would, instead of every 2 ms.
        const std::uint64_t free_frames =
            sink_live_.load(std::memory_order_acquire) ? shm_->writable() : 0;
        const auto missing = static_cast<long long>(block) -
                             static_cast<long long>(std::min<std::uint64_t>(free_frames, block));
        const auto wait =
            std::chrono::microseconds(missing * 1'000'000 / options_.config.sample_rate);
        realtime_sleep_until(realtime_now() + std::clamp<std::chrono::microseconds>(
                                                  wait, std::chrono::milliseconds(1), period));
    }
}

void AudioDriver::maintenance() {
    // Runs on: the audio driver's maintenance thread.
    std::uint64_t last_read = 0;
    DeviceTime last_progress = device_clock_.now();
    DeviceTime started_at = device_clock_.now();
    Ms backoff = kBackoffFirst;
    DeviceTime next_retry = device_clock_.now();
    bool starting = false;
    while (running_.load()) {
        device_clock_.wait_until(device_clock_.now() + Ms{100}, maintenance_wakeup_);
        if (!running_.load()) break;
        std::vector<std::pair<std::string, std::string>> failures;
        std::vector<AudioEngine::LayerFault> layer_faults;
        {
            std::lock_guard lock(audio_mutex_);
            audio_->collect();
            failures = audio_->take_failures();
            layer_faults = audio_->take_layer_faults();
        }
        for (const auto& [file, why] : failures) {
            std::cerr << "stillroom: audio: skipping " << file << ": " << why << std::endl;
            if (on_failed_) on_failed_(file, why);
        }
        for (const auto& f : layer_faults) {
            std::cerr << "stillroom: library fault: " << f.file << " (a layer of " << f.piece
                      << ") broke; the piece plays on with its other layers: " << f.error
                      << std::endl;
            if (on_layer_fault_) on_layer_fault_(f.file, f.piece, f.error);
        }
        if (mode_ != AudioSink::PortAudio) continue;
        const DeviceTime now = device_clock_.now();
        const pid_t pid = sink_pid_.load();
        const auto state = static_cast<SinkState>(shm_->state.load());
        const bool exited = pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid;
        if (exited) sink_pid_ = -1;
        if (open_.load()) {
            const std::uint64_t read = shm_->read_pos.load();
            if (read != last_read) {
                last_read = read;
                last_progress = now;
            }
            if (exited || now - last_progress > kWatchdog) {
                set_status("the audio device stopped; retrying", false);
                kill_sink();
                backoff = kBackoffFirst;
                next_retry = now + backoff;
            }
            continue;
        }
        if (starting) {
            if (state == SinkState::Playing) {
                starting = false;
                last_read = shm_->read_pos.load();
                last_progress = now;
                sink_live_ = true;
                open_ = true;
                set_status(shm_->status, true);
                backoff = kBackoffFirst;
                // Back where the session is now: the right track at the right place, faded in.
                if (auto desired = desired_ ? desired_() : std::nullopt)
                    reconcile(*desired, clock_.now());
            } else if (state == SinkState::Failed || exited || now - started_at > kStartTimeout) {
                starting = false;
                const std::string why =
                    shm_->status[0] ? shm_->status : "the audio sink did not start";
                kill_sink();
                set_status(why + "; retrying", false);
                backoff = std::min(backoff * 2, kBackoffMax);
                next_retry = now + backoff;
            }
            continue;
        }
        if (now >= next_retry) {
            starting = spawn_sink();
            started_at = now;
            if (!starting) {
                backoff = std::min(backoff * 2, kBackoffMax);
                next_retry = now + backoff;
            }
        }
    }
}

std::int64_t AudioDriver::due_frame(MonoTime at) const {
    // Session time and the mixer's frames run at the same rate (audio only plays at speed
    // 1), so `at` falls this many frames from the frame the mixer renders next.
    return mixer_->frame() + (at - clock_.now()).count() * options_.config.sample_rate / 1000;
}

void AudioDriver::apply(const Effect& effect, MonoTime at) {
    // Runs on: the engine thread. Queues and returns; the loader thread does the work.
    if (!open_.load()) return; // the device is away; reconcile() catches up when it returns
    if (!std::holds_alternative<PlayTrack>(effect.body) &&
        !std::holds_alternative<StopMusic>(effect.body) &&
        !std::holds_alternative<SetVolume>(effect.body) &&
        !std::holds_alternative<SetDepth>(effect.body) &&
        !std::holds_alternative<PlaySound>(effect.body))
        return;
    if (!inbox_.push(Job{effect, at}))
        std::cerr << "stillroom: audio: " << kInboxCapacity
                  << " effects wait for the loader; this one is dropped" << std::endl;
}

void AudioDriver::reconcile(const DesiredState& state, MonoTime at) {
    // Runs on: the engine thread or the maintenance thread. The desired state supersedes
    // whatever still waits in the inbox.
    if (!open_.load()) return;
    inbox_.replace_all(Job{ReconcileJob{state}, at});
}

void AudioDriver::load_and_post(Job& job) {
    // Runs on: the loader thread. The slow part (open, seek, prefill) holds no lock; the
    // frame is computed after it, from the job's session time, so a voice loaded ahead of
    // its time starts on its frame. One that is late starts at once, and music skips the
    // lateness so the track is where the session says and the next crossfade lines up
    // (it fades in over its crossfade, so nothing clicks). Jobs run in the order queued:
    // a Stop queued after a Play reaches the mixer after that Play's voice.
    const auto* effect = std::get_if<Effect>(&job.what);
    const auto* rec = std::get_if<ReconcileJob>(&job.what);
    std::shared_ptr<Voice> voice = effect ? audio_->load(*effect) : audio_->load(rec->state);
    // Skipping a late track's lateness decodes too: most of it here, outside the lock.
    std::int64_t skipped = 0;
    if (voice && voice->music) skipped = audio_->skip(*voice, mixer_->frame() - due_frame(job.at));
    std::lock_guard lock(audio_mutex_);
    const std::int64_t due = due_frame(job.at);
    const std::int64_t next = mixer_->frame();
    const std::int64_t frame = std::max(due, next);
    const std::int64_t late = std::max<std::int64_t>(0, next - due - skipped);
    if (effect) {
        audio_->handle(*effect, frame, std::move(voice), late);
        return;
    }
    MixerCommand stop;
    stop.kind = MixerCommand::Kind::StopAll;
    stop.at = frame;
    stop.fade = Mixer::kMinFade * 10;
    mixer_->post(stop);
    audio_->reconcile(rec->state, frame, kResumeFade.count() * options_.config.sample_rate / 1000,
                      std::move(voice), late);
}

std::vector<std::string>
AudioDriver::set_output_gains(const std::vector<AudioOutputGroup>& outputs) {
    std::vector<std::string> restart;
    std::lock_guard lock(audio_mutex_);
    const auto& running = options_.config.outputs;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (i >= running.size() || outputs[i].id != running[i].id ||
            outputs[i].channels != running[i].channels) {
            restart.push_back(outputs[i].id);
            continue;
        }
        if (outputs[i].gain_db == output_gain_db_[i]) continue;
        output_gain_db_[i] = outputs[i].gain_db;
        // Queued even while the device is away: the mixer holds the gain for when it returns.
        audio_->set_group_gain(static_cast<int>(i), outputs[i].gain_db, mixer_->frame(),
                               kOutputGainRamp.count() * options_.config.sample_rate / 1000);
    }
    for (std::size_t i = outputs.size(); i < running.size(); ++i)
        restart.push_back(running[i].id);
    return restart;
}

Json AudioDriver::health() const {
    Json outputs = Json::array();
    for (std::size_t i = 0; i < options_.config.outputs.size(); ++i)
        outputs.push_back({{"id", options_.config.outputs[i].id},
                           {"gain_db", mixer_->group_gain_db(static_cast<int>(i))}});
    std::lock_guard lock(status_mutex_);
    return {{"ok", ok_},
            {"detail", status_},
            {"underruns", mixer_->underruns()},
            {"device_underruns", shm_ ? shm_->underruns.load() : 0},
            {"inbox", inbox_.queued()},
            {"inbox_dropped", inbox_.dropped()},
            {"volume_db", mixer_->volume_db()},
            {"outputs", outputs}};
}

} // namespace stillroom

// The clinic overview process wired together: one MQTT connection (failing over between
// the brokers of a cluster) subscribed to every room's status and state, the overview
// model, the web page and API, and a ticker that pushes the room list to the page while
// sessions run (times and overdue reminders move on by themselves). The overview
// announces itself on `stillroom-clinic/ID/status` (online, retained; offline as its
// will), and every room publishes its status and state again when it sees that.
#pragma once

#include "clinic/clinic_config.hpp"
#include "clinic/clinic_server.hpp"
#include "clinic/overview.hpp"
#include "clinic/overview_inbox.hpp"
#include "devices/mqtt_client.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace stillroom {

class ClinicService {
public:
    ClinicService(ClinicConfig config, DeviceClock& clock);
    ~ClinicService();
    // Connects and serves; returns an error when the page cannot listen.
    std::optional<std::string> start();
    void stop();
    int http_port() const { return server_ ? server_->port() : 0; }
    const Overview& overview() const { return overview_; }
    MqttClient& mqtt() { return *mqtt_; }
    OverviewInbox::Counts inbox_counts() const { return inbox_->counts(); }

private:
    void ticker();
    ClinicConfig config_;
    DeviceClock& clock_;
    Overview overview_;
    // Between the network thread and the model: a flood of states cannot hold back a
    // status, a heartbeat or a room's answer (clinic/overview_inbox.hpp).
    std::unique_ptr<OverviewInbox> inbox_;
    std::unique_ptr<MqttClient> mqtt_;
    std::unique_ptr<Auth> auth_;
    EventHub events_;
    std::unique_ptr<ClinicServer> server_;
    std::mutex mutex_;
    Wakeup wakeup_; // rung on a change and at stop
    bool changed_ = false;
    bool stopping_ = false;
    std::thread ticker_;
};

} // namespace stillroom

// Playlist summaries for the engine, and their journal form.
#include "engine/catalog.hpp"

namespace stillroom {

Ms PlaylistInfo::total_length() const {
    Ms total{0};
    int playable = 0;
    for (const auto& t : tracks) {
        if (t.length <= Ms{0}) continue;
        total += t.length;
        ++playable;
    }
    if (playable > 1) total -= crossfade * (playable - 1);
    return total < Ms{0} ? Ms{0} : total;
}

bool PlaylistInfo::has_playable_track() const {
    for (const auto& t : tracks)
        if (t.length > Ms{0}) return true;
    return false;
}

Json layers_json(const std::vector<TrackLayer>& layers) {
    Json out = Json::array();
    for (const auto& l : layers)
        out.push_back({{"file", l.file}, {"depth", l.depth}});
    return out;
}

std::vector<TrackLayer> layers_from_json(const Json& j) {
    std::vector<TrackLayer> out;
    for (const auto& l : j)
        out.push_back({l.at("file").get<std::string>(), l.at("depth").get<double>()});
    return out;
}

Json to_json(const PlaylistInfo& p) {
    Json tracks = Json::array();
    for (const auto& t : p.tracks) {
        Json j = {{"file", t.file},
                  {"title", t.title},
                  {"artist", t.artist},
                  {"in_ms", t.in.count()},
                  {"length_ms", t.length.count()},
                  {"gain_db", t.gain_db}};
        if (!t.layers.empty()) j["layers"] = layers_json(t.layers);
        tracks.push_back(std::move(j));
    }
    return {{"id", p.id},
            {"name", p.name},
            {"crossfade_ms", p.crossfade.count()},
            {"order", p.order == PlayOrder::Shuffle ? "shuffle" : "sequential"},
            {"loop", p.loop},
            {"tracks", tracks}};
}

PlaylistInfo playlist_info_from_json(const Json& j) {
    PlaylistInfo p;
    p.id = j.at("id").get<std::string>();
    p.name = j.at("name").get<std::string>();
    p.crossfade = Ms{j.at("crossfade_ms").get<Ms::rep>()};
    p.order =
        j.at("order").get<std::string>() == "shuffle" ? PlayOrder::Shuffle : PlayOrder::Sequential;
    p.loop = j.at("loop").get<bool>();
    for (const auto& t : j.at("tracks")) {
        TrackInfo ti;
        ti.file = t.at("file").get<std::string>();
        ti.title = t.value("title", "");
        ti.artist = t.value("artist", "");
        ti.in = Ms{t.at("in_ms").get<Ms::rep>()};
        ti.length = Ms{t.at("length_ms").get<Ms::rep>()};
        ti.gain_db = t.value("gain_db", 0.0);
        if (t.contains("layers")) ti.layers = layers_from_json(t.at("layers"));
        p.tracks.push_back(std::move(ti));
    }
    return p;
}

} // namespace stillroom

// A piece in layers for the depth unit tests (test_depth_layers.cpp, test_depth_layer_loss.cpp).
#pragma once

#include "engine/catalog.hpp"

#include <vector>

namespace stillroom {

// A track titled "piece" of `length`, its layers as given (the first one names the track).
inline TrackInfo layered(const std::vector<TrackLayer>& layers, Ms length) {
    TrackInfo t;
    t.file = layers.front().file;
    t.title = "piece";
    t.length = length;
    t.layers = layers;
    return t;
}

} // namespace stillroom

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define STILLROOM_TEST_CASE_LIMIT_S 540
#include "watchdog.hpp"

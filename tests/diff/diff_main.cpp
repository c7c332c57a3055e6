// Catch2's main for diff-tests (the tests register themselves in diff_test.cpp).
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_CONSOLE_WIDTH 132  // the register dumps are 100 columns wide
#include <catch2/catch.hpp>

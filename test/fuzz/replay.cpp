// Runs a fuzz target's corpus and crash inputs through its
// LLVMFuzzerTestOneInput, so that `./dev test` replays them with g++ and
// without libFuzzer: every input that once found new code, and every crash
// ever found, stays a regression test.
//
// usage: fuzz_replay_<target> [Boost.Test options] -- DIRECTORY...
// Each DIRECTORY that exists is read, every file in it (not its dot files) is
// one input; the first one must exist and hold at least one input. Meson
// passes --catch_system_errors=no: a crash then ends the process with the
// sanitizer's report rather than Boost.Test's signal handler.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_in(const fs::path& dir)
{
    std::vector<fs::path> inputs;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && !entry.path().filename().string().starts_with('.'))
            inputs.push_back(entry.path());
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}

std::string contents_of(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

BOOST_AUTO_TEST_CASE(every_corpus_and_crash_input_runs_cleanly)
{
    const auto& suite = boost::unit_test::framework::master_test_suite();
    BOOST_TEST_REQUIRE(suite.argc >= 2, "usage: " << suite.argv[0] << " -- CORPUS_DIRECTORY [CRASH_DIRECTORY...]");
    BOOST_TEST_REQUIRE(fs::is_directory(suite.argv[1]), suite.argv[1] << " is not a directory");

    std::size_t replayed = 0;
    for (int i = 1; i < suite.argc; ++i) {
        const fs::path dir = suite.argv[i];
        if (i > 1 && !fs::exists(dir))
            continue; // no crash found yet
        for (const fs::path& input : inputs_in(dir)) {
            // Named before it runs: a sanitizer report or an abort() ends the
            // process before Boost.Test could say which input it was.
            std::fprintf(stderr, "replay: %s\n", input.c_str());
            const std::string bytes = contents_of(input);
            const int result = LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            BOOST_TEST(result == 0, input.string() << " returned " << result);
            ++replayed;
        }
        if (i == 1)
            BOOST_TEST(replayed > 0, dir.string() << " holds no input");
    }
    BOOST_TEST_MESSAGE("replayed " << replayed << " inputs");
}

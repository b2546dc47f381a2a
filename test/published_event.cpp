// What a follow filter reads of a published event: views of its id and type
// into the one encoding the topic keeps, and its data decoded back.

#include <ssekit/error.hpp>
#include <ssekit/published_event.hpp>

#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>

using ssekit::PublishedEvent;
using ssekit::ServerSentEvent;

namespace {

PublishedEvent publish(const ServerSentEvent& event, std::optional<std::string_view> id = std::nullopt)
{
    return PublishedEvent(event, 7, std::chrono::steady_clock::now(), id);
}

} // namespace

BOOST_AUTO_TEST_SUITE(published_event)

BOOST_AUTO_TEST_CASE(its_bytes_are_the_encoding_with_the_id_given)
{
    const ServerSentEvent event{.data = "hi", .event = "greeting"};
    const PublishedEvent published = publish(event, "ab12cd34-7");
    BOOST_TEST(published.encoded() == "event: greeting\nid: ab12cd34-7\ndata: hi\n\n");
    BOOST_TEST(published.id() == "ab12cd34-7");
    BOOST_TEST(published.type().value_or("(none)") == "greeting");
    BOOST_TEST(published.data().value_or("(none)") == "hi");
    BOOST_TEST(published.offset() == 7u);
}

BOOST_AUTO_TEST_CASE(the_id_given_replaces_the_event_s_own)
{
    const ServerSentEvent event{.data = "x", .id = "mine"};
    BOOST_TEST(publish(event).id() == "mine");
    BOOST_TEST(publish(event, "theirs").encoded() == "id: theirs\ndata: x\n\n");
}

BOOST_AUTO_TEST_CASE(its_data_reads_back_as_a_browser_reads_it)
{
    const ServerSentEvent event{.data = "one\r\ntwo\rthree\n\n  five", .comments = "note"};
    const PublishedEvent published = publish(event);
    BOOST_TEST(published.data().value_or("(none)") == "one\ntwo\nthree\n\n  five");
    const ServerSentEvent empty{.data = ""};
    BOOST_TEST(publish(empty).data().value_or("(none)") == "");
    const ServerSentEvent spaces{.data = " "};
    BOOST_TEST(publish(spaces).data().value_or("(none)") == " ");
}

BOOST_AUTO_TEST_CASE(absent_fields_read_as_absent_and_empty_ones_as_empty)
{
    const ServerSentEvent bare{.retry = std::chrono::milliseconds(500)};
    const PublishedEvent published = publish(bare);
    BOOST_TEST(!published.type().has_value());
    BOOST_TEST(!published.data().has_value());
    BOOST_TEST(published.id().empty());
    const ServerSentEvent empty_type{.data = "d", .event = ""};
    BOOST_TEST(publish(empty_type).type().value_or("(none)") == "");
}

BOOST_AUTO_TEST_CASE(an_id_no_client_could_send_back_is_refused_whoever_gave_it)
{
    const ServerSentEvent event{.data = "x"};
    for (std::string_view id : {"a\nb", " lead", "trail\t", "\xC3"}) {
        try {
            publish(event, id);
            BOOST_FAIL("accepted id '" << id << "'");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == make_error_code(ssekit::error::invalid_field));
            BOOST_TEST(std::string(e.what()).find("'id'") != std::string::npos, e.what());
        }
    }
    const ServerSentEvent own_bad{.data = "x", .id = "bad "};
    BOOST_CHECK_THROW(publish(own_bad), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(what_it_holds_is_its_encoding_and_a_fixed_overhead)
{
    const ServerSentEvent event{.data = std::string(100'000, 'b')};
    const PublishedEvent published = publish(event, "id-1");
    BOOST_TEST(published.stored_bytes() >= published.encoded().size());
    BOOST_TEST(published.stored_bytes() <= published.encoded().size() + 256);
}

BOOST_AUTO_TEST_CASE(its_bytes_carried_elsewhere_read_back_as_the_same_event)
{
    const ServerSentEvent event{
        .data = "line one\r\nline two", .event = "update", .retry = std::chrono::milliseconds(500), .comments = "c"};
    const PublishedEvent original = publish(event, "e-7");
    const PublishedEvent carried =
        PublishedEvent::from_encoded(std::string(original.encoded()), 7, std::chrono::steady_clock::now());
    BOOST_TEST(carried.encoded() == original.encoded());
    BOOST_TEST(carried.id() == "e-7");
    BOOST_TEST(carried.type().value_or("none") == "update");
    BOOST_TEST(carried.data().value_or("none") == "line one\nline two");
    BOOST_TEST(carried.offset() == 7u);

    const PublishedEvent bare = PublishedEvent::from_encoded("data:\n\n", 1, std::chrono::steady_clock::now());
    BOOST_TEST(bare.data().value_or("none") == "");
    BOOST_TEST(!bare.type());
    BOOST_TEST(bare.id().empty());
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_one_event_as_ssekit_writes_it_are_refused)
{
    for (std::string bytes : {"data: x\n", "data: x\n\ndata: y\n\n", "id: 1\nevent: late\n\n", "id: 1\nid: 2\n\n",
                              "nonsense\n\n", "colour: red\n\n", "data: x\ndata"}) {
        BOOST_CHECK_EXCEPTION(PublishedEvent::from_encoded(bytes, 1, std::chrono::steady_clock::now()),
                              boost::system::system_error, [](const boost::system::system_error& e) {
                                  return e.code() == ssekit::error::invalid_field;
                              });
    }
}

BOOST_AUTO_TEST_SUITE_END()

#ifndef SSEKIT_SAMPLES_JSON_ROUTES_HPP
#define SSEKIT_SAMPLES_JSON_ROUTES_HPP

#include <ssekit/server.hpp>

#include <boost/describe/class.hpp>

#include <string>
#include <vector>

namespace ssekit::samples {

// The types of Ktor's JSON example. Boost.JSON takes the keys from the member
// names Boost.Describe lists, so the members are named as the JSON a browser
// reads (`customer.firstName`), not in this project's snake_case.

struct Customer {
    int id = 0;
    std::string firstName;
    std::string lastName;
};
BOOST_DESCRIBE_STRUCT(Customer, (), (id, firstName, lastName))

struct Product {
    int id = 0;
    std::vector<int> prices;
};
BOOST_DESCRIBE_STRUCT(Product, (), (id, prices))

/** GET `/json`: sends a Customer and a Product as JSON, then ends the stream:
    `data: {"id":0,"firstName":"Jet","lastName":"Brains"}` and
    `data: {"id":0,"prices":[100,200]}`. */
void add_json_route(Server& server);

} // namespace ssekit::samples

#endif

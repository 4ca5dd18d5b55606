// PostgreSQL text[] columns read back (the writing side is kit::text_array in pg.h): one helper
// for every store instead of a copy in each (issue 24).
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace aftercare::kit {

// The strings of a text[] field; an empty list for NULL. NULL elements are skipped.
inline std::vector<std::string> text_array_items(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next())
    if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
  return out;
}

}  // namespace aftercare::kit

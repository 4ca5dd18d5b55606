// PostgreSQL text[] columns read back (the writing side is kit::text_array in pg.h): one helper
// for every store instead of a copy in each (issue 24).
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

#include "common/pg.h"

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

// Rows loaded first, by id, so that their children are read in one query and attached where they
// belong (billing's invoice lines, dispatch's webhook attempts):
//   kit::RowsById<InvoiceRow> by_id(invoices, [](const InvoiceRow& i) { return i.invoice_id; });
//   for (const auto& r : tx.exec_params(kLinesOf, by_id.ids()))
//     if (InvoiceRow* i = by_id.find(r[0].as<std::string>())) i->lines.push_back(...);
template <typename Row>
class RowsById {
 public:
  template <typename IdOf>
  RowsById(std::vector<Row>& rows, IdOf id_of) {
    for (Row& row : rows) {
      std::string id = id_of(row);
      ids_.push_back(id);
      by_id_[std::move(id)] = &row;
    }
  }
  // The ids as a text[] parameter.
  std::string ids() const { return text_array(ids_); }
  // The row of `id`, or nullptr for a child of a row not loaded.
  Row* find(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }

 private:
  std::vector<std::string> ids_;
  std::map<std::string, Row*> by_id_;
};

}  // namespace aftercare::kit

// Issue 21: the SQL of dispatch's hot writes, each one prepared statement for any number of rows
// (arrays bound as parameters): the tickets of a consumer batch, new work orders together with
// their events (outbox and partner feeds), events alone, and the version of the reference data
// routing reads (migration 009).
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/events.pb.h"
#include "common/outbox.h"

namespace aftercare::dispatch::store {

// A TicketOpened to store in the ticket projection.
struct NewTicket {
  std::string project_id;
  const aftercare::v1::TicketOpened* opened;
};
// Stores the tickets not yet known; returns the ids of those it stored (a redelivered or
// repeated TicketOpened, also twice in the same call, is stored once).
std::set<std::string> insert_tickets(pqxx::work& tx, const std::vector<NewTicket>& tickets);

// An event as dispatch writes it: its outbox row and the parties whose feeds get it (each once).
struct EventRow {
  kit::OutboxRow outbox;
  std::string work_order_id;
  std::vector<std::string> feed_parties;
};
// Writes the events in their order: the outbox rows, and each party's feed appends numbered on
// from its head (a party's webhook, when active, gets a delivery of each).
void write_events(pqxx::work& tx, const std::vector<EventRow>& events);

// Appends the event to the party's feed alone (no outbox row) and returns its sequence number
// (1, 2, ...), as write_events does for each of its parties.
int64_t append_partner_event(pqxx::work& tx, const std::string& party_id,
                             const std::string& work_order_id, const aftercare::v1::Event& event);

// A new work order and what created it (unique: a repeat of the cause creates nothing).
struct NewOrder {
  const aftercare::v1::WorkOrder* order;
  std::string source_key;
};
// Inserts the orders (doc, columns and report columns as of now) with their events in one
// statement; an order whose source key (or, for an initial order, its ticket) exists already is
// not written and neither are its events (events_of_orders: those whose work_order_id is one of
// the orders'). Returns the ids of the orders written.
std::set<std::string> insert_orders_with_events(pqxx::work& tx, const std::vector<NewOrder>& orders,
                                                const std::vector<EventRow>& events_of_orders);

// The version of each project's reference data (0: never changed since the migration).
std::map<std::string, int64_t> reference_versions(pqxx::work& tx,
                                                  const std::set<std::string>& projects);
// The parties of the project that have technicians registered.
std::set<std::string> parties_with_technicians(pqxx::work& tx, const std::string& project_id);

}  // namespace aftercare::dispatch::store

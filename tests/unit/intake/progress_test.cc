// What a callback's outcome does to its ticket: the pure decision of domain/progress.h.
#include "intake/domain/progress.h"

#include <gtest/gtest.h>

namespace aftercare::intake::domain {
namespace {

v1::CallbackRecorded callback(bool reached, v1::Satisfaction s, const std::string& work_order) {
  v1::CallbackRecorded c;
  c.set_reached(reached);
  c.set_satisfaction(s);
  c.set_work_order_id(work_order);
  return c;
}

TEST(CallbackEffects, UnreachedChangesNothing) {
  auto e = effects_of_callback(v1::TICKET_STATUS_RESOLVED,
                               callback(false, v1::SATISFACTION_UNSATISFIED, "wo-1"));
  EXPECT_FALSE(e.resolve_first);
  EXPECT_FALSE(e.reopen);
  EXPECT_FALSE(e.close);
}

TEST(CallbackEffects, UnsatisfiedReopensSatisfiedCloses) {
  auto unsatisfied = effects_of_callback(v1::TICKET_STATUS_RESOLVED,
                                         callback(true, v1::SATISFACTION_UNSATISFIED, "wo-1"));
  EXPECT_TRUE(unsatisfied.reopen);
  EXPECT_FALSE(unsatisfied.close);
  EXPECT_FALSE(unsatisfied.resolve_first);
  auto satisfied = effects_of_callback(v1::TICKET_STATUS_RESOLVED,
                                       callback(true, v1::SATISFACTION_SATISFIED, "wo-1"));
  EXPECT_TRUE(satisfied.close);
  EXPECT_FALSE(satisfied.reopen);
  auto unspecified = effects_of_callback(v1::TICKET_STATUS_RESOLVED,
                                         callback(true, v1::SATISFACTION_UNSPECIFIED, "wo-1"));
  EXPECT_FALSE(unspecified.close);
  EXPECT_FALSE(unspecified.reopen);
}

TEST(CallbackEffects, CallbackAheadOfItsSignOffResolvesFirst) {
  for (auto status : {v1::TICKET_STATUS_DISPATCHED, v1::TICKET_STATUS_IN_PROGRESS})
    EXPECT_TRUE(effects_of_callback(status, callback(true, v1::SATISFACTION_SATISFIED, "wo-1"))
                    .resolve_first);
  EXPECT_FALSE(effects_of_callback(v1::TICKET_STATUS_DISPATCHED,
                                   callback(true, v1::SATISFACTION_SATISFIED, ""))
                   .resolve_first);
  EXPECT_FALSE(effects_of_callback(v1::TICKET_STATUS_RESOLVED,
                                   callback(true, v1::SATISFACTION_SATISFIED, "wo-1"))
                   .resolve_first);
}

}  // namespace
}  // namespace aftercare::intake::domain

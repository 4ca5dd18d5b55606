// Shared set-up of the billing integration tests: a fresh database with billing's schema, the
// gRPC service on a real channel, callers of each role, units seeded through the same event
// handler the consumers run, and the ledger invariant.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "aftercare/v1/billing.grpc.pb.h"
#include "billing/billing_service.h"
#include "common/call.h"
#include "common/outbox.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::billing::itest {

namespace v1 = aftercare::v1;

inline kit::Caller finance(std::vector<std::string> projects = {"P1"}) {
  return {"fin-1", kit::Role::finance, std::move(projects), {}, ""};
}
inline kit::Caller admin() {
  return {"admin-1", kit::Role::admin, {"*"}, {}, ""};
}
inline kit::Caller owner(std::string sub, std::vector<std::string> units) {
  return {std::move(sub), kit::Role::owner, {"P1"}, std::move(units), ""};
}

inline v1::YearMonth ym(int year, int month) {
  v1::YearMonth out;
  out.set_year(year);
  out.set_month(month);
  return out;
}

inline v1::Date date(int year, int month, int day) {
  v1::Date out;
  out.set_year(year);
  out.set_month(month);
  out.set_day(day);
  return out;
}

class BillingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("t_billing_") + info->name();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.size() > 60) name = name.substr(0, 60);
    pool_ = aftercare::testing::migrated_database(name, generated::billing_migrations(), 24);
    outbox_ = std::make_unique<kit::Outbox>(outbox_topic(), "billing");
    service_ = std::make_unique<BillingServiceImpl>(*pool_, *outbox_);
    server_ = std::make_unique<aftercare::testing::TestServer>(service_.get());
    stub_ = v1::BillingService::NewStub(server_->channel());
  }

  virtual std::string outbox_topic() const { return "aftercare.billing.v1"; }

  BillingOps& ops() { return service_->ops(); }

  // Applies an event the way the consumers do (inside a transaction).
  void apply(const v1::Event& e) {
    pool_->in_transaction([&](pqxx::work& tx) { ops().apply_event(tx, e); });
  }

  static v1::Event unit_event(const std::string& unit_id, int64_t area_centi_m2,
                              const std::string& owner_id, const std::string& project = "P1",
                              std::optional<v1::Date> handover = date(2024, 6, 1)) {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.UnitUpserted");
    e.set_project_id(project);
    e.set_aggregate_id(unit_id);
    auto* u = e.mutable_unit_upserted();
    u->set_unit_id(unit_id);
    u->set_building("1");
    u->set_room("1201");
    u->set_area_centi_m2(area_centi_m2);
    u->set_owner_id(owner_id);
    u->set_owner_phone_masked("138****0000");
    if (handover) *u->mutable_handover_date() = *handover;
    return e;
  }

  // intake.DecorationPermitUpdated as intake publishes it (issue 19).
  static v1::Event permit_event(v1::DecorationAction action, int64_t deposit_fen, int64_t fee_fen,
                                int64_t deductions_fen = 0, const std::string& permit = "PM-1",
                                const std::string& unit = "U1", const std::string& owner = "O1") {
    v1::Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.DecorationPermitUpdated");
    e.set_project_id("P1");
    e.set_aggregate_id(permit);
    auto* d = e.mutable_decoration_permit_updated();
    d->set_permit_id(permit);
    d->set_unit_id(unit);
    d->set_owner_id(owner);
    d->set_action(action);
    d->set_deposit_fen(deposit_fen);
    d->set_fee_fen(fee_fen);
    d->set_deductions_fen(deductions_fen);
    if (action == v1::DECORATION_ACTION_FINISHED) d->set_refund_fen(deposit_fen - deductions_fen);
    return e;
  }

  void add_unit(const std::string& unit_id, int64_t area_centi_m2, const std::string& owner_id,
                const std::string& project = "P1",
                std::optional<v1::Date> handover = date(2024, 6, 1)) {
    apply(unit_event(unit_id, area_centi_m2, owner_id, project, handover));
  }

  grpc::Status set_rate(int64_t fen, int due_day, const std::string& project = "P1",
                        const kit::Caller& caller = finance()) {
    v1::SetFeeRateRequest req;
    req.set_project_id(project);
    req.set_fen_per_m2_month(fen);
    req.set_due_day(due_day);
    v1::FeeRate out;
    return stub_->SetFeeRate(kit::client_context(caller).get(), req, &out);
  }

  grpc::Status run(const v1::YearMonth& period, v1::RunBillingResponse* out,
                   const std::string& project = "P1", const kit::Caller& caller = finance()) {
    v1::RunBillingRequest req;
    req.set_project_id(project);
    *req.mutable_period() = period;
    return stub_->RunBilling(kit::client_context(caller, std::chrono::seconds(30)).get(), req, out);
  }

  grpc::Status pay(const std::string& invoice_id, int64_t amount, const std::string& reference,
                   v1::PaymentResponse* out, const kit::Caller& caller = finance()) {
    v1::RecordPaymentRequest req;
    req.set_invoice_id(invoice_id);
    req.set_amount_fen(amount);
    req.set_reference(reference);
    return stub_->RecordPayment(kit::client_context(caller, std::chrono::seconds(30)).get(), req,
                                out);
  }

  v1::Invoice fee_invoice(const std::string& unit_id, const v1::YearMonth& period) {
    v1::RunBillingResponse out;
    EXPECT_TRUE(run(period, &out).ok());
    for (const auto& i : out.invoices()) {
      if (i.unit_id() == unit_id) return i;
    }
    ADD_FAILURE() << "no invoice for " << unit_id;
    return {};
  }

  int64_t scalar(const std::string& sql) {
    return pool_->in_transaction([&](pqxx::work& tx) {
      auto r = tx.exec(sql);
      return r[0][0].is_null() ? int64_t{0} : r[0][0].as<int64_t>();
    });
  }

  std::string scalar_text(const std::string& sql) {
    return pool_->in_transaction([&](pqxx::work& tx) {
      auto r = tx.exec(sql);
      return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    });
  }

  int64_t balance(const std::string& account) {
    return scalar("SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries WHERE account = '" +
                  account + "'");
  }

  int64_t outbox_count(const std::string& type) {
    return scalar("SELECT count(*) FROM kit_outbox WHERE event_type = '" + type + "'");
  }

  // Double entry: every transaction balances, so the sum over all entries is 0; and the
  // receivables agree with the invoices (amount - paid of every non-void owner invoice); cash is
  // what came in minus what went back (refunds and settled decoration deposits).
  void expect_ledger_balanced() {
    EXPECT_EQ(scalar("SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM (SELECT txn_id FROM ledger_entries GROUP BY txn_id "
                     "HAVING sum(amount_fen) <> 0) u"),
              0);
    EXPECT_EQ(scalar("SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries "
                     "WHERE account LIKE 'receivable:unit:%'"),
              scalar("SELECT coalesce(sum(amount_fen - paid_fen), 0) FROM invoices "
                     "WHERE payer = 'owner' AND status <> 'void'"));
    EXPECT_EQ(balance("cash"),
              scalar("SELECT coalesce(sum(amount_fen), 0) FROM payments") -
                  scalar("SELECT coalesce(sum(amount_fen), 0) FROM refunds") +
                  scalar("SELECT coalesce(sum(amount_fen), 0) FROM settlement_payments") -
                  scalar("SELECT coalesce(sum(refunded_fen), 0) FROM decoration_deposits"));
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::unique_ptr<kit::Outbox> outbox_;
  std::unique_ptr<BillingServiceImpl> service_;
  std::unique_ptr<aftercare::testing::TestServer> server_;
  std::unique_ptr<v1::BillingService::Stub> stub_;
};

}  // namespace aftercare::billing::itest

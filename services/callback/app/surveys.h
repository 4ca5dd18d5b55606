// Survey campaigns (issue 20): start one (questionnaires and their invitations), answer one
// (points once per owner and campaign), and the figures. Throws kit::Refusal for a business "no".
#pragma once

#include <absl/time/time.h>

#include <pqxx/pqxx>
#include <string>

#include "aftercare/v1/callback.pb.h"
#include "common/outbox.h"

namespace aftercare::callback::app {

// The new campaign with its recipients; the invitations are queued as owner messages (kind
// announcement) in the same transaction.
aftercare::v1::SurveyCampaign start_campaign(pqxx::transaction_base& tx,
                                             const aftercare::v1::StartSurveyCampaignRequest& in,
                                             const std::string& started_by, absl::Time now);
aftercare::v1::SurveyCampaign campaign(pqxx::transaction_base& tx, const std::string& id);
aftercare::v1::ListSurveyCampaignsResponse project_campaigns(pqxx::transaction_base& tx,
                                                             const std::string& project_id);
// method "app" (the owner) or "phone" (an agent for the owner).
aftercare::v1::SurveyAnswer answer(pqxx::work& tx, const kit::Outbox& outbox,
                                   const aftercare::v1::AnswerSurveyRequest& in,
                                   const std::string& method, const std::string& recorded_by,
                                   absl::Time now);
aftercare::v1::ListOwnerSurveysResponse owner_surveys(pqxx::transaction_base& tx,
                                                      const std::string& owner_id);

}  // namespace aftercare::callback::app

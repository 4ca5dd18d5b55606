// SQL of dispatch's projection of ticket attachments (issue 23): which ticket an attachment
// belongs to, for an owner's sign-off recorded on a paper slip. Fed by intake.AttachmentAdded.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>

#include "aftercare/v1/events.pb.h"

namespace aftercare::dispatch::store {

// Keeps the first delivery (a redelivered event writes nothing).
void record_attachment(pqxx::work& tx, const aftercare::v1::AttachmentAdded& added);
// The ticket of an attachment, nullopt when dispatch has not heard of it.
std::optional<std::string> attachment_ticket(pqxx::transaction_base& tx,
                                             const std::string& attachment_id);

}  // namespace aftercare::dispatch::store

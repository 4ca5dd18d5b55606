// Handover and decoration use cases (issue 19): app/handover.cc (inspections, defects, the key
// handover and key collection, the report section and the defects' events from dispatch) and
// app/decoration.cc (permits). Inputs arrive validated and the caller's role checked by the gRPC
// edge (handover_service.cc); scope over the unit is checked here, against stored state.
#pragma once

#include "aftercare/v1/handover.pb.h"
#include "intake/app/context.h"
#include "intake/domain/attachments.h"

namespace aftercare::intake::app {

// ------------------------------------------------------------------------------ inspections
Status create_inspection(const Context& ctx, const v1::CreateInspectionRequest& r,
                         absl::Time inspected_at, v1::Inspection* out);
Status add_defect(const Context& ctx, const v1::AddDefectRequest& r, v1::Defect* out);
Status get_inspection(const Context& ctx, const v1::GetInspectionRequest& r, v1::Inspection* out);
Status list_inspections(const Context& ctx, const v1::ListInspectionsRequest& r,
                        v1::ListInspectionsResponse* out);
Status sign_inspection(const Context& ctx, const v1::SignInspectionRequest& r, v1::Inspection* out);
Status reinspect_defect(const Context& ctx, const v1::ReinspectDefectRequest& r, v1::Defect* out);
Status add_inspection_attachment(const Context& ctx, const v1::AddInspectionAttachmentRequest& r,
                                 const domain::AttachmentRules& limits, v1::Attachment* out);
// GetAttachment of an inspection's attachment (nullopt: not one of them).
std::optional<Status> get_inspection_attachment(const Context& ctx, const std::string& id,
                                                v1::Attachment* out);

// ---------------------------------------------------------------------------- handover, keys
Status hand_over_unit(const Context& ctx, const v1::HandOverUnitRequest& r,
                      v1::HandedOverUnit* out);
Status set_handover_notice(const Context& ctx, const v1::SetHandoverNoticeRequest& r,
                           v1::KeyCollection* out);
Status list_uncollected_keys(const Context& ctx, const std::string& project_id, absl::Time as_of,
                             v1::ListUncollectedKeysResponse* out);
Status send_key_reminders(const Context& ctx, const v1::SendKeyRemindersRequest& r,
                          v1::ListUncollectedKeysResponse* out);
Status handover_stats(const Context& ctx, const v1::HandoverStatsRequest& r,
                      const std::pair<absl::CivilDay, absl::CivilDay>& days,
                      v1::HandoverStatsResponse* out);

// ---------------------------------------------------------------------------- decoration
Status apply_decoration_permit(const Context& ctx, const v1::ApplyDecorationPermitRequest& r,
                               v1::DecorationPermit* out);
Status get_decoration_permit(const Context& ctx, const v1::GetDecorationPermitRequest& r,
                             v1::DecorationPermit* out);
Status list_decoration_permits(const Context& ctx, const v1::ListDecorationPermitsRequest& r,
                               v1::ListDecorationPermitsResponse* out);
Status approve_decoration_permit(const Context& ctx, const v1::ApproveDecorationPermitRequest& r,
                                 v1::DecorationPermit* out);
Status refuse_decoration_permit(const Context& ctx, const v1::RefuseDecorationPermitRequest& r,
                                v1::DecorationPermit* out);
Status inspect_decoration(const Context& ctx, const v1::InspectDecorationRequest& r,
                          v1::DecorationPermit* out);
Status record_decoration_violation(const Context& ctx,
                                   const v1::RecordDecorationViolationRequest& r,
                                   v1::DecorationPermit* out);
Status finish_decoration_permit(const Context& ctx, const v1::FinishDecorationPermitRequest& r,
                                v1::DecorationPermit* out);

// ---------------------------------------------------------------------------- events
// Dispatch's events about a defect's rectification order (ticket_id = defect_id): created /
// rerouted -> rectifying with the order and party; completed -> completed_at. Returns false
// when the event is not about a defect (the ticket handlers take it).
bool apply_defect_event(pqxx::work& tx, const kit::Outbox& outbox, absl::Time now,
                        const v1::Event& e);

}  // namespace aftercare::intake::app

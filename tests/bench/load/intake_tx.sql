-- pgbench (-M extended): intake's whole OpenTicket transaction, statement for statement as the
-- service issues it (services/intake/intake_service.cc OpenTicket + store/intake_store.cc), on
-- intake's real schema: idempotency lookup, project, unit, policy, calendars, issue lock,
-- active-ticket lookup, issue count, the per-project daily ticket counter, ticket INSERT,
-- history, ticket UPDATE, outbox INSERT, read back. Not a target: it shows how much of the
-- service's cost is the database itself.
\set r random(1, 9223372036854775806)
\set u random(1, 200)
\set cat random(1, 4)
\set comp random(1, 13)
BEGIN;
SELECT ticket_id::text, coalesce(request_hash, '') FROM tickets
  WHERE reported_by = 'bench-agent' AND idempotency_key = 'pgb-' || :r::text;
SELECT project_id, name, timezone, kit_us(created_at), kit_us(updated_at) FROM projects
  WHERE project_id = 'bench-pg';
SELECT project_id, unit_id, building, room, area_centi_m2, owner_id, owner_name, owner_phone,
  handover_date::text, kit_us(updated_at) FROM units WHERE unit_id = 'PGU' || :u::text;
SELECT policy, version, kit_us(updated_at) FROM policies WHERE project_id = 'bench-pg';
SELECT year, array_to_string(holidays, ','), array_to_string(workdays, ','), kit_us(updated_at)
  FROM calendars WHERE project_id = 'bench-pg' AND year BETWEEN 2025 AND 2027 ORDER BY year;
INSERT INTO issue_reports (unit_id, category, component, reports)
  VALUES ('PGU' || :u::text, :cat, :comp, 0) ON CONFLICT DO NOTHING;
SELECT reports FROM issue_reports
  WHERE unit_id = 'PGU' || :u::text AND category = :cat AND component = :comp FOR UPDATE;
SELECT ticket_id::text, ticket_no, project_id, unit_id, kind, category, component, urgency,
  channel, description, status, in_warranty, warranty_ends::text, kit_us(reported_at),
  kit_us(response_due), kit_us(resolve_due), escalation_level, recurrence, owner_agent,
  kit_us(created_at), owner_id, reported_by, repair_area, coalesce(duplicate_of::text, ''),
  kit_us(responded_at), kit_us(resolved_at), kit_us(closed_at), extension_count, fault_party,
  fault_party_id, fine_fen, kit_us(updated_at), version
  FROM tickets WHERE unit_id = 'PGU' || :u::text AND category = :cat AND component = :comp
  AND status IN (1, 2, 3, 6) AND duplicate_of IS NULL ORDER BY created_at DESC LIMIT 1;
UPDATE issue_reports SET reports = reports + 1
  WHERE unit_id = 'PGU' || :u::text AND category = :cat AND component = :comp;
INSERT INTO ticket_counters (project_id, local_day, last) VALUES ('bench-pg', current_date, 1)
  ON CONFLICT (project_id, local_day) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last;
INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
  component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
  reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent, reported_by,
  duplicate_of, fault_party, fault_party_id, fine_fen, created_at, updated_at,
  idempotency_key, request_hash)
VALUES (md5(:r::text)::uuid, 'bench-pg-' || :r::text, 'bench-pg', 'PGU' || :u::text,
  'owner-PGU' || :u::text, 1, :cat, :comp, 2, 1, 1, 'pgbench ' || :r::text || ': 厨房水管漏水', 1,
  true, current_date + 500, kit_ts(kit_us(now())), kit_ts(kit_us(now() + interval '1 day')),
  kit_ts(kit_us(now() + interval '30 days')), 0, 1, 'bench-agent', 'bench-agent', NULL, 0, '', 0,
  kit_ts(kit_us(now())), kit_ts(kit_us(now())), 'pgb-' || :r::text, '9f2c4a1be07d3c55');
INSERT INTO ticket_history (ticket_id, seq, at, actor, action, detail)
  SELECT md5(:r::text)::uuid, coalesce(max(seq), 0) + 1, kit_ts(kit_us(now())), 'bench-agent',
  'opened', 'repair via hotline, report 1 of this issue, in warranty'
  FROM ticket_history WHERE ticket_id = md5(:r::text)::uuid;
UPDATE tickets SET kind = 1, status = 1, escalation_level = 0, recurrence = 1, owner_agent = 'bench-agent',
  duplicate_of = NULL, responded_at = NULL, resolved_at = NULL, closed_at = NULL,
  response_due = kit_ts(kit_us(now() + interval '1 day')),
  resolve_due = kit_ts(kit_us(now() + interval '30 days')), extension_count = 0, fault_party = 0,
  fault_party_id = '', fine_fen = 0, updated_at = now(), version = version + 1
  WHERE ticket_id = md5(:r::text)::uuid;
INSERT INTO kit_outbox (event_id, topic, partition_key, event_type, traceparent, payload)
VALUES (gen_random_uuid(), 'aftercare.intake.v1', md5(:r::text)::uuid::text, 'intake.TicketOpened',
  '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', decode(repeat('ab', 480), 'hex'));
SELECT ticket_id::text, ticket_no, project_id, unit_id, kind, category, component, urgency,
  channel, description, status, in_warranty, warranty_ends::text, kit_us(reported_at),
  kit_us(response_due), kit_us(resolve_due), escalation_level, recurrence, owner_agent,
  kit_us(created_at), owner_id, reported_by, repair_area, coalesce(duplicate_of::text, ''),
  kit_us(responded_at), kit_us(resolved_at), kit_us(closed_at), extension_count, fault_party,
  fault_party_id, fine_fen, kit_us(updated_at), version
  FROM tickets WHERE ticket_id = md5(:r::text)::uuid;
END;

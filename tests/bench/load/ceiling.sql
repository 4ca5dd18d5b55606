-- pgbench (-M extended, like the service's exec_params): the durable-commit ceiling for intake,
-- one transaction = intake's ticket INSERT (the service's column list, on intake's real schema
-- and indexes) + its kit_outbox INSERT (a TicketOpened-sized payload).
\set r random(1, 9223372036854775806)
\set u random(1, 200)
BEGIN;
INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
  component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
  reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent, reported_by,
  duplicate_of, fault_party, fault_party_id, fine_fen, created_at, updated_at,
  idempotency_key, request_hash)
VALUES (md5(:r::text)::uuid, 'bench-pg-' || :r::text, 'bench-pg', 'PGU' || :u::text,
  'owner-PGU' || :u::text, 1, 1, 6, 2, 1, 1, 'pgbench ' || :r::text || ': 厨房水管漏水', 1, true,
  current_date + 500, kit_ts(kit_us(now())), kit_ts(kit_us(now() + interval '1 day')),
  kit_ts(kit_us(now() + interval '30 days')), 0, 1, 'bench-agent', 'bench-agent', NULL, 0, '', 0,
  kit_ts(kit_us(now())), kit_ts(kit_us(now())), 'pgb-' || :r::text, '9f2c4a1be07d3c55');
INSERT INTO kit_outbox (event_id, topic, partition_key, event_type, traceparent, payload)
VALUES (gen_random_uuid(), 'aftercare.intake.v1', md5(:r::text)::uuid::text, 'intake.TicketOpened',
  '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', decode(repeat('ab', 480), 'hex'));
END;

-- pgbench (-M prepared, as the service prepares them): intake's OpenTicket statement for
-- statement as the service issues it since issue 21 (services/intake/app/tickets.cc open_ticket,
-- store/report_store.cc), on intake's real schema, for a new issue of a home: the day's number
-- with the idempotency check and the registry version (autocommitted), then in one transaction
-- the issue lock, the issue's state, the open incidents of the component, and one statement
-- that inserts the ticket with its final values, sets the issue's count, appends the history
-- and the outbox event and returns the ticket. Project, unit, policy and calendars come from the
-- service's memory. The target of (b) is measured against this.
\set r random(1, 9223372036854775806)
\set u random(1, 200)
\set cat random(1, 4)
\set comp random(1, 13)
WITH prior AS (SELECT 1 FROM tickets WHERE 'pgb-' || :r::text <> '' AND reported_by = 'bench-agent'
    AND idempotency_key = 'pgb-' || :r::text),
  quiet AS (SELECT set_config('synchronous_commit', 'off', true)),
  n AS (INSERT INTO ticket_counters (project_id, local_day, last)
        SELECT 'bench-pg', current_date, 1 FROM quiet WHERE NOT EXISTS (SELECT 1 FROM prior)
        ON CONFLICT (project_id, local_day) DO UPDATE SET last = ticket_counters.last + 1
        RETURNING last)
  SELECT (SELECT last FROM n), EXISTS (SELECT 1 FROM prior),
         (SELECT coalesce(max(version), 0) FROM registry_versions WHERE project_id = 'bench-pg');
BEGIN;
INSERT INTO issue_reports (unit_id, category, component, reports)
  VALUES ('PGU' || :u::text, :cat, :comp, 0)
  ON CONFLICT (unit_id, category, component) DO UPDATE SET reports = issue_reports.reports
  RETURNING reports,
    (SELECT true FROM (SELECT pg_advisory_xact_lock(hashtextextended('', 0))) AS l WHERE '' <> '');
SELECT ticket_id::text, ticket_no, project_id, unit_id, kind, category, component, urgency,
    channel, description, status, in_warranty, warranty_ends::text, kit_us(reported_at),
    kit_us(response_due), kit_us(resolve_due), escalation_level, recurrence, owner_agent,
    kit_us(created_at), owner_id, reported_by, repair_area, coalesce(duplicate_of::text, ''),
    kit_us(responded_at), kit_us(resolved_at), kit_us(closed_at), extension_count, fault_party,
    fault_party_id, fine_fen, kit_us(updated_at), version, coalesce(merged_into::text, ''),
    coalesce(split_from::text, ''), coalesce(incident_id::text, ''),
    CASE WHEN false THEN (SELECT x.assignee_party_id FROM tickets x
      WHERE x.unit_id = 'PGU' || :u::text AND x.category = :cat AND x.component = :comp
        AND x.assignee_party_id <> '' ORDER BY x.created_at DESC LIMIT 1) END
  FROM (SELECT 1) AS one LEFT JOIN LATERAL (
    SELECT * FROM tickets t WHERE t.unit_id = 'PGU' || :u::text AND t.category = :cat
      AND t.component = :comp AND t.status IN (1, 2, 3, 6) AND t.duplicate_of IS NULL
    ORDER BY t.created_at DESC LIMIT 1) AS tickets ON true;
SELECT incident_id::text, kind, component, buildings, lead_ticket_id IS NOT NULL,
    kit_us(created_at), title
  FROM incidents WHERE project_id = 'bench-pg' AND component = :comp AND status = 1
  ORDER BY created_at, incident_id FOR UPDATE;
WITH t AS (
    INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
      component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
      reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent,
      reported_by, duplicate_of, fault_party, fault_party_id, fine_fen, created_at, updated_at,
      idempotency_key, request_hash, split_from, incident_id, incident_follower, version)
    VALUES (md5(:r::text)::uuid, 'bench-pg-' || :r::text, 'bench-pg', 'PGU' || :u::text,
      'owner-PGU' || :u::text, 1, :cat, :comp, 2, 1, 1, 'pgbench ' || :r::text || ': 厨房水管漏水',
      1, true, current_date + 500, kit_ts(kit_us(now())),
      kit_ts(kit_us(now() + interval '1 day')), kit_ts(kit_us(now() + interval '30 days')), 0, 1,
      'bench-agent', 'bench-agent', NULL, 0, '', 0, kit_ts(kit_us(now())), now(),
      'pgb-' || :r::text, '9f2c4a1be07d3c55', NULL, NULL, false, 2)
    RETURNING ticket_id::text, ticket_no, project_id, unit_id, kind, category, component, urgency,
      channel, description, status, in_warranty, warranty_ends::text, kit_us(reported_at),
      kit_us(response_due), kit_us(resolve_due), escalation_level, recurrence, owner_agent,
      kit_us(created_at), owner_id, reported_by, repair_area, coalesce(duplicate_of::text, ''),
      kit_us(responded_at), kit_us(resolved_at), kit_us(closed_at), extension_count, fault_party,
      fault_party_id, fine_fen, kit_us(updated_at), version, coalesce(merged_into::text, ''),
      coalesce(split_from::text, ''), coalesce(incident_id::text, '')),
  i AS (UPDATE issue_reports SET reports = 1
        WHERE true AND unit_id = 'PGU' || :u::text AND category = :cat AND component = :comp),
  h AS (INSERT INTO ticket_history (ticket_id, seq, at, actor, action, detail)
        SELECT x.id::uuid, coalesce((SELECT max(y.seq) FROM ticket_history y
                                     WHERE y.ticket_id = x.id::uuid), 0)
                           + row_number() OVER (PARTITION BY x.id ORDER BY x.n),
               now(), x.actor, x.action, x.detail
        FROM unnest(ARRAY[md5(:r::text)::uuid::text], ARRAY['bench-agent'], ARRAY['opened'],
                    ARRAY['repair via hotline, report 1 of this issue, in warranty'])
             WITH ORDINALITY AS x(id, actor, action, detail, n)),
  o AS (INSERT INTO kit_outbox (event_id, topic, partition_key, event_type, traceparent, payload)
        SELECT o.id::uuid, o.topic, o.k, o.type, nullif(o.tp, ''), decode(o.payload, 'hex')
        FROM unnest(ARRAY[gen_random_uuid()::text], ARRAY['aftercare.intake.v1'],
                    ARRAY[md5(:r::text)::uuid::text], ARRAY['intake.TicketOpened'],
                    ARRAY['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
                    ARRAY[repeat('ab', 480)])
             WITH ORDINALITY AS o(id, topic, k, type, tp, payload, n) ORDER BY o.n)
  SELECT * FROM t;
END;

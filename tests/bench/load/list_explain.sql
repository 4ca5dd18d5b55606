-- psql: the plans of ListTickets's query (store::list_tickets, verbatim) for the data-growth
-- project, first page (limit 50 + 1), without and with a status filter; PREPARE/EXECUTE gets
-- the same custom plan as the service's unnamed exec_params statement.
PREPARE list_tickets(text, text, text, int, int, int, int, text, bigint, bigint, bigint, text, int) AS
SELECT ticket_id::text, ticket_no, project_id, unit_id, kind, category, component, urgency,
  channel, description, status, in_warranty, warranty_ends::text, kit_us(reported_at),
  kit_us(response_due), kit_us(resolve_due), escalation_level, recurrence, owner_agent,
  kit_us(created_at), owner_id, reported_by, repair_area, coalesce(duplicate_of::text, ''),
  kit_us(responded_at), kit_us(resolved_at), kit_us(closed_at), extension_count, fault_party,
  fault_party_id, fine_fen, kit_us(updated_at), version
FROM tickets WHERE ($1 = '' OR project_id = $1) AND ($2 = '{}' OR unit_id = ANY($2::text[]))
        AND ($3 = '' OR unit_id = $3) AND ($4 = 0 OR status = $4) AND ($5 = 0 OR kind = $5)
        AND ($6 = 0 OR category = $6) AND escalation_level >= $7 AND ($8 = '' OR owner_agent = $8)
        AND ($9::bigint = 0 OR reported_at >= kit_ts($9)) AND ($10::bigint = 0 OR reported_at < kit_ts($10))
        AND ($11::bigint = 0 OR (created_at, ticket_id) > (kit_ts($11), $12::uuid))
        ORDER BY created_at, ticket_id LIMIT $13;
\echo '-- list: project_id only'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list_tickets('bench-growth', '{}', '', 0, 0, 0, 0, '', 0, 0, 0, '00000000-0000-0000-0000-000000000000', 51);
\echo '-- list: project_id + status=open'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list_tickets('bench-growth', '{}', '', 1, 0, 0, 0, '', 0, 0, 0, '00000000-0000-0000-0000-000000000000', 51);
\echo '-- list: project_id + status=dispatched'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list_tickets('bench-growth', '{}', '', 2, 0, 0, 0, '', 0, 0, 0, '00000000-0000-0000-0000-000000000000', 51);

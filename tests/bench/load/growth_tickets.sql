-- psql -v from=A -v to=B -v total=N -v units=U: historical tickets A..B of N in the data-growth
-- project, in the shape intake writes them (same columns and encodings as
-- store::insert_ticket/update_ticket, one 'opened' history row each). Ticket g was reported
-- (1100 - 1000*g/N) days ago, on unit GB(g mod U + 1) and issue (g mod 4, g mod 13); 90 % are
-- closed and 10 % resolved, so none is active and every measured create takes the same
-- first-report path whatever the table size. issue_reports is left alone for the same reason
-- (it only feeds escalation, see the README of this folder).
INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
  component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
  reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent, reported_by,
  duplicate_of, responded_at, resolved_at, closed_at, fault_party, fault_party_id, fine_fen,
  assignee_party_id, created_at, updated_at, version)
SELECT md5('growth-' || g)::uuid,
  'bench-growth-' || to_char(ts AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(g::text, 7, '0'),
  'bench-growth', 'GB' || (g % :units + 1), 'owner-GB' || (g % :units + 1), 1, g % 4 + 1,
  g % 13 + 1, 2, g % 6 + 1, CASE WHEN g % 4 = 2 THEN 2 ELSE 1 END,
  '历史工单 #' || g || ': 卫生间天花板渗水, 楼下邻居反映', CASE WHEN g % 10 = 0 THEN 4 ELSE 5 END,
  true, (ts + interval '5 years')::date, ts, ts + interval '1 day', ts + interval '42 days', 0, 1,
  'agent-' || g % 20, 'agent-' || g % 20, NULL, ts + interval '3 hours', ts + interval '6 days',
  CASE WHEN g % 10 = 0 THEN NULL ELSE ts + interval '9 days' END, 0, '', 0,
  'builder-bench-growth', ts, ts + interval '9 days', 6
FROM (SELECT g, now() - interval '1100 days' + (g * 1000.0 * 86400 / :total) * interval '1 second' AS ts
      FROM generate_series(:from, :to) g) s;
INSERT INTO ticket_history (ticket_id, seq, at, actor, action, detail)
SELECT md5('growth-' || g)::uuid, 1,
  now() - interval '1100 days' + (g * 1000.0 * 86400 / :total) * interval '1 second',
  'agent-' || g % 20, 'opened', 'repair via hotline, report 1 of this issue, in warranty'
FROM generate_series(:from, :to) g;

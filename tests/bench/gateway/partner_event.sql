-- pgbench script: dispatch records one event in a random bench party's feed, as its consumer
-- does (head row + feed row in one transaction); the Event bytes carry the type and the party
-- as aggregate_id so the client can tell whose event it got.
\set p random(0, :parties - 1)
WITH party AS (SELECT 'B-' || lpad(:p::text, 5, '0') AS id),
head AS (
  INSERT INTO partner_feed_heads (party_id, last_seq) SELECT id, 1 FROM party
  ON CONFLICT (party_id) DO UPDATE SET last_seq = partner_feed_heads.last_seq + 1
  RETURNING party_id, last_seq)
INSERT INTO partner_events (party_id, seq, event_id, work_order_id, event_type, event)
SELECT party_id, last_seq, gen_random_uuid(), 'WO-bench', 'dispatch.WorkOrderCreated',
       '\x1219'::bytea || convert_to('dispatch.WorkOrderCreated', 'UTF8') || '\x2a07'::bytea ||
       convert_to(party_id, 'UTF8')
FROM head;

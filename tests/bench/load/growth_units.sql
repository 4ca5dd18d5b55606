-- psql -v units=N: the units of the data-growth project, straight into intake's database (the
-- project itself, its parties and calendars were created through the API).
INSERT INTO units (unit_id, project_id, building, room, area_centi_m2, owner_id, owner_name,
  owner_phone, handover_date)
SELECT 'GB' || g, 'bench-growth', (g % 30 + 1)::text, lpad((g % 10000)::text, 4, '0'),
  8000 + g % 6000, 'owner-GB' || g, '业主' || g, '139' || lpad(g::text, 8, '0'), current_date - 200
FROM generate_series(1, :units) g
ON CONFLICT (unit_id) DO NOTHING;

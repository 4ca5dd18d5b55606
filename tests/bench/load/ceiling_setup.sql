-- After the kit's and intake's migrations: the project and 200 units the pgbench scripts use.
INSERT INTO projects (project_id, name, timezone) VALUES ('bench-pg', 'pgbench', 'Asia/Shanghai');
INSERT INTO units (unit_id, project_id, building, room, area_centi_m2, owner_id, owner_name,
  owner_phone, handover_date)
SELECT 'PGU' || g, 'bench-pg', (g % 30 + 1)::text, lpad(g::text, 4, '0'), 8850, 'owner-PGU' || g,
  '张三', '138' || lpad(g::text, 8, '0'), current_date - 200
FROM generate_series(1, 200) g;
INSERT INTO calendars (project_id, year, holidays, workdays)
SELECT 'bench-pg', y, '{}', '{}' FROM generate_series(2025, 2027) y;

// Seeds a fresh project for the web console test through the public HTTP API only (tokens from
// the gateway's dev login): a project, two units with their owners, the three repair parties, a fee
// rate, a crew technician (when the route exists), this month's property fees and some club points. Prints the ids as JSON.
//   node seed.mjs http://127.0.0.1:23080
export async function seed(gateway, stamp = Date.now().toString(36)) {
  const call = async (token, method, path, body, extra = {}) => {
    const res = await fetch(gateway + path, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  const login = async (claims) => (await call(null, 'POST', '/v1/dev/login', claims)).token;

  const project = `web-${stamp}`;
  const admin = await login({ role: 'admin', sub: 'web-admin', projects: ['*'] });
  await call(admin, 'PUT', `/v1/projects/${project}`, { name: '翠湖花园', timezone: 'Asia/Shanghai' });
  const units = [
    { unit_id: `${project}-1-1801`, building: '1栋', room: '1801', area_m2: 88.5, owner_id: `owner-${stamp}-1`, owner_name: '张伟', owner_phone: '13800000001', handover_date: '2026-06-05' },
    { unit_id: `${project}-2-0303`, building: '2栋', room: '0303', area_m2: 120.35, owner_id: `owner-${stamp}-2`, owner_name: '李娜', owner_phone: '13800000002', handover_date: '2023-11-22' },
  ];
  for (const { unit_id, ...u } of units) await call(admin, 'PUT', `/v1/projects/${project}/units/${unit_id}`, u);
  const parties = {
    builder: `bld-${stamp}`,
    crew: `crew-${stamp}`,
    contractor: `ctr-${stamp}`,
  };
  const trades = ['house_quality', 'decoration', 'public_facility', 'other'];
  await call(admin, 'PUT', `/v1/projects/${project}/parties/${parties.builder}`, { kind: 'builder', name: '华泰建设', trades });
  await call(admin, 'PUT', `/v1/projects/${project}/parties/${parties.crew}`, { kind: 'crew', name: '物业维修班', trades });
  await call(admin, 'PUT', `/v1/projects/${project}/parties/${parties.contractor}`, { kind: 'contractor', name: '安居修缮', trades });

  // A technician of the crew (the technicians route is new: a stack without it just has none, and
  // the dispatcher's automatic assignment is used).
  const technicians = [];
  try {
    await call(admin, 'PUT', `/v1/projects/${project}/technicians/tech-${stamp}-1`, { party_id: parties.crew, name: '张师傅', trades });
    technicians.push(`tech-${stamp}-1`);
  } catch (e) {
    console.error(`seed: no technician created (${e.message.split('\n')[0]})`);
  }

  const finance = await login({ role: 'finance', sub: 'web-finance', projects: [project] });
  await call(finance, 'PUT', `/v1/projects/${project}/fee-rate`, { fen_per_m2_month: 235, due_day: 28 });
  // The month in the project's zone; the fee run bills the units once their registry events arrived.
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(new Date())
    .slice(0, 7);
  const run = await call(finance, 'POST', '/v1/billing/runs', { project_id: project, period: month }, { 'Idempotency-Key': `seed-${stamp}` });

  // Club members are enrolled from the unit events: retry the earning until the member exists.
  const agent = await login({ role: 'agent', sub: 'web-agent', projects: [project] });
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      await call(agent, 'POST', `/v1/members/${units[1].owner_id}/earnings`, {
        reason: 'activity', points: 200, source_id: `seed-activity-${stamp}`, project_id: project, note: '业主活动',
      });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 300)); // polling the asynchronous enrolment
    }
  }
  return { project, month, units, parties, technicians, invoices: run.invoices?.length ?? 0 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  seed(process.argv[2] ?? 'http://127.0.0.1:23080').then(
    (out) => console.log(JSON.stringify(out, null, 2)),
    (e) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}

-- wrk script: POST /v1/tickets with a JSON body and the bearer token (env AFTERCARE_TOKEN,
-- BENCH_PROJECT, BENCH_UNIT). No Idempotency-Key: every request opens a new ticket.
local token = os.getenv("AFTERCARE_TOKEN")
local project = os.getenv("BENCH_PROJECT")
local unit = os.getenv("BENCH_UNIT")
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"project_id":"' .. project .. '","unit_id":"' .. unit .. '","kind":"repair",' ..
  '"category":"house_quality","component":"plumbing","urgency":"normal","channel":"hotline",' ..
  '"description":"bench: kitchen pipe leaking"}'

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

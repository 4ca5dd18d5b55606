-- wrk script: POST /v1/tickets with the bearer token (env AFTERCARE_TOKEN). Every request is a
-- new ticket with a unique body and its own Idempotency-Key.
--   BENCH_PROJECT              project id
--   BENCH_UNIT                 one unit (every request on it: same-issue repeats are linked as
--                              duplicates), or
--   BENCH_UNIT_PREFIX, BENCH_UNITS [, BENCH_UNIT_FIRST=1]
--                              units PREFIX<FIRST> .. PREFIX<FIRST+UNITS-1>; request n goes to unit
--                              n mod UNITS and issue (category x component) n div UNITS, so the
--                              first UNITS*52 requests are all distinct issues (none is a
--                              duplicate, each is dispatched) and no two wait on one issue lock.
--   BENCH_THREADS              wrk's -t (request numbers are interleaved across threads)
--   BENCH_RUN                  a run id for the keys (default: the time)
local token = os.getenv("AFTERCARE_TOKEN")
local project = os.getenv("BENCH_PROJECT")
local single_unit = os.getenv("BENCH_UNIT")
local prefix = os.getenv("BENCH_UNIT_PREFIX")
local units = tonumber(os.getenv("BENCH_UNITS") or "1")
local first = tonumber(os.getenv("BENCH_UNIT_FIRST") or "1")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local categories = {"house_quality", "decoration", "public_facility", "other"}
local components = {"structure", "roof_waterproofing", "bathroom_waterproofing", "exterior_wall",
  "electrical", "plumbing", "heating", "decoration", "door_window", "elevator", "fire_safety",
  "gas", "other"}

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local counter = 0
local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}

function request()
  local n = counter * nthreads + (tid or 0)
  counter = counter + 1
  local unit = single_unit
  local issue = n
  if not unit then
    unit = prefix .. tostring(first + n % units)
    issue = math.floor(n / units)
  end
  local category = categories[math.floor(issue / 13) % 4 + 1]
  local component = components[issue % 13 + 1]
  headers["Idempotency-Key"] = "wrk-" .. run .. "-" .. tostring(n)
  local body = '{"project_id":"' .. project .. '","unit_id":"' .. unit .. '","kind":"repair",' ..
    '"category":"' .. category .. '","component":"' .. component .. '","urgency":"normal",' ..
    '"channel":"hotline","description":"bench ' .. run .. ' #' .. tostring(n) ..
    ': 厨房水管漏水"}'
  return wrk.format("POST", "/v1/tickets", headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d errors_status=%d errors_socket=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

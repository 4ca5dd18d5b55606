-- wrk script: GET on the path given on the command line (a ticket, or a list with its query)
-- with the bearer token (env AFTERCARE_TOKEN).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AFTERCARE_TOKEN")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d errors_status=%d errors_socket=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

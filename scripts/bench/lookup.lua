-- wrk script: the public dossier look-up, as the browser calls it, over dossiers seeded by
-- scripts/bench-lookup (one "code suffix" pair per line of $LOOKUP_CODES); each thread walks
-- the list from a different place.
local pairs_ = {}
local i = 0

init = function(args)
  for line in io.lines(os.getenv("LOOKUP_CODES")) do
    local code, suffix = line:match("^(%S+) (%d+)$")
    if code then pairs_[#pairs_ + 1] = { code, suffix } end
  end
  i = math.random(#pairs_)
end

request = function()
  i = i % #pairs_ + 1
  local p = pairs_[i]
  local body = string.format('{"query":{"code":"%s","id_suffix":"%s"}}', p[1], p[2])
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Sec-Fetch-Site"] = "same-origin",
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH requests/s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end

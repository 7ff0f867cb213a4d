-- wrk script: walks the pages of one collection without parsing a byte of them.
-- env: BENCH_PATH (with %d for the page key), BENCH_FIRST, BENCH_STEP, BENCH_PAGES, BENCH_TOKEN
local path = os.getenv("BENCH_PATH")
local first = tonumber(os.getenv("BENCH_FIRST"))
local step = tonumber(os.getenv("BENCH_STEP"))
local pages = tonumber(os.getenv("BENCH_PAGES"))
local n = 0
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
  local key = first + (n % pages) * step
  n = n + 1
  return wrk.format("GET", string.format(path, key))
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH_RESULT requests=%d seconds=%.6f non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6,
    (summary.errors.status or 0),
    (summary.errors.connect or 0) + (summary.errors.read or 0) + (summary.errors.write or 0) + (summary.errors.timeout or 0)))
end

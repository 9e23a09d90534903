-- wrk script: cycles through pre-built raw HTTP requests (bench/gen_webhooks.py output:
-- requests separated by a line "\0\n"); env BENCH_REQS = file. Each wrk thread starts at 1.
local reqs, n = {}, 0
function init()
  local f = assert(io.open(os.getenv("BENCH_REQS"), "rb"))
  local all = f:read("*a")
  f:close()
  for r in all:gmatch("(.-)%z\n") do reqs[#reqs + 1] = r end
end
function request()
  n = n % #reqs + 1
  return reqs[n]
end

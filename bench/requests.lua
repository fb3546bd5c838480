-- wrk script of bench/api_load.py: a round of exactly `quota` answers per wrk thread, each
-- request to its own id (its own path, body and clientToken), the answers counted by status.
--
-- wrk runs for a duration, not a count: each thread stops itself at its quota and leaves a
-- marker file; bench/api_load.py then interrupts wrk (SIGINT). The round's time is measured here
-- (first request to the last counted answer), since wrk's own counts the wait for the signal.
--
--   wrk ... -s requests.lua URL -- DIR QUOTA PATH TOKEN_PREFIX RPM
--
-- DIR/ids.N holds thread N's ids, one a line (wrk runs every thread's init in its main thread
-- before starting the next one: a file each keeps the threads' starts close). A thread sends at
-- most QUOTA + its connections requests (the ones in flight when it stops), so it needs that
-- many ids. PATH has "{id}" where the id goes. The markers go to DIR/done.N.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

local function now()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
    return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
    thread:set("index", #threads)
    table.insert(threads, thread)
end

function init(args)
    directory, quota = args[1], tonumber(args[2])
    local path, prefix, rpm = args[3], args[4], args[5]
    wrk.headers["Content-Type"] = "application/json"
    -- Made here, not in request(): request() is on the hot path of the trivial app's rounds.
    requests = {}
    for id in io.lines(directory .. "/ids." .. index) do
        local body = '{"rpmName": "' .. rpm .. '", "clientToken": "' .. prefix .. id .. '"}'
        requests[#requests + 1] = wrk.format("POST", path:gsub("{id}", id), nil, body)
    end
    sent, answered, non2xx, server_errors = 0, 0, 0, 0
    statuses = {}
end

function request()
    if sent == 0 then
        started = now()
    end
    sent = sent + 1
    return requests[sent] or error("out of ids: a thread needs QUOTA + its connections")
end

function response(status, headers, body)
    if answered >= quota then
        return -- answered after the thread stopped itself (same poll of the event loop)
    end
    answered = answered + 1
    statuses[status] = (statuses[status] or 0) + 1
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
    end
    if status >= 500 then
        server_errors = server_errors + 1
    end
    if answered == quota then
        finished = now()
        local marker = io.open(directory .. "/done." .. index, "w")
        marker:write("done")
        marker:close()
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local first, last, answers, bad, fives = math.huge, 0, 0, 0, 0
    local by_status = {}
    for _, thread in ipairs(threads) do
        first = math.min(first, thread:get("started") or math.huge)
        last = math.max(last, thread:get("finished") or 0)
        answers = answers + thread:get("answered")
        bad = bad + thread:get("non2xx")
        fives = fives + thread:get("server_errors")
        for status, count in pairs(thread:get("statuses")) do
            by_status[status] = (by_status[status] or 0) + count
        end
    end
    local counts = {}
    for status, count in pairs(by_status) do
        counts[#counts + 1] = string.format('"%d": %d', status, count)
    end
    local errors = summary.errors
    io.write(string.format(
        'BENCH {"answers": %d, "seconds": %.6f, "non2xx": %d, "server_errors": %d, '
            .. '"statuses": {%s}, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
            .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
        answers, last - first, bad, fives, table.concat(counts, ", "),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
        errors.connect, errors.read, errors.write, errors.timeout
    ))
end

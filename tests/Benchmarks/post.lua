-- POST of a fixed body for wrk: the echo scenario. Every request carries the same SIZE bytes.
-- Usage: wrk -t1 -c64 -d10s -s tests/Benchmarks/post.lua http://127.0.0.1:PORT/echo -- 4096
-- SIZE is the first script argument (after "--"); it defaults to 4096.

init = function(args)
   local size = tonumber(args[1]) or 4096
   local body = string.rep("0123456789abcdef", math.ceil(size / 16)):sub(1, size)
   req = wrk.format("POST", nil, { ["Content-Type"] = "application/octet-stream" }, body)
end

request = function()
   return req
end

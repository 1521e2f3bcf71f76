# Shell helpers for the scripts in bench/ (source it from the project root).
# The shell counterpart of src/server/spawn.ts: a server is ready when it has
# printed its one `ready` event, which lists every endpoint.

# start_server LOG [ARGS...]: start bin/server --json ARGS in the background,
# its events in LOG and its stderr in LOG.err, and wait for its ready event.
# Sets server_pid, and server_port to its TCP port (empty with no TCP
# endpoint). Fails with the server's first line of stderr if it exits first.
start_server() {
  local log=$1
  shift
  ./bin/server --json "$@" >"$log" 2>"$log.err" &
  server_pid=$!
  local _
  for _ in $(seq 200); do
    if grep -q '"event":"ready"' "$log"; then
      server_port=$(grep '"event":"ready"' "$log" | grep -o '"transport":"tcp"[^}]*"port":[0-9]*' | grep -o '[0-9]*$' || true)
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server exited before it was ready: $(head -n 1 "$log.err")" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "the server was not ready within 10 s" >&2
  return 1
}

# stop_server: SIGTERM the server started last and wait for it to exit.
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid"
}

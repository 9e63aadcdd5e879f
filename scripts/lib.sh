# Shared by run.sh and test.sh (sourced): step headers with the seconds since the start, and
# waiting for a job started in the background.
started=$SECONDS

step() {
  echo "== $1   (at $((SECONDS - started)) s)"
}

# wait_job PID LOG WHAT: waits for background job PID; when it failed, prints LOG and stops.
wait_job() {
  if ! wait "$1"; then
    cat "$2" >&2
    echo "$(basename "$0"): $3 failed" >&2
    exit 1
  fi
}

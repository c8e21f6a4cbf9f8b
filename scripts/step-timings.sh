# Sourced by the smoke scripts: `step NAME` closes the previous step's
# timing and announces the next (prefixed with $STEP_PREFIX); the timings
# collect in the array `timings`, printed by the script at its end.
started=$(date +%s)
timings=()
step_start=$started
step() {
    local now
    now=$(date +%s)
    [ -n "${step_name:-}" ] && timings+=("$step_name: $((now - step_start)) s")
    step_name=$1
    step_start=$now
    echo "== ${STEP_PREFIX:-}$1" >&2
}

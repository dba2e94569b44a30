#!/bin/sh
# Runs `planetsim check` on a folder of scenarios and says what its exit code means.
#
#   check.sh [FOLDER] [planetsim check arguments…]
#
# FOLDER defaults to scenarios/. Every other argument goes to `planetsim check` unchanged:
#
#   check.sh scenarios/ --junit planetsim-check.xml --replications 5
#
# PLANETSIM names the binary to run (default: `planetsim` on the PATH):
#
#   PLANETSIM=target/release/planetsim check.sh
#
# The exit code is planetsim's, so a CI job fails on 1 and 2 alike:
# 0 every expectation held, 1 an expectation failed, 2 bad input or usage.
set -u

planetsim=${PLANETSIM:-planetsim}

# The first argument is the folder unless it is a flag.
folder=scenarios/
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  folder=$1
  shift
fi

if ! command -v "$planetsim" >/dev/null 2>&1; then
  echo "check.sh: cannot run \`$planetsim\`: install planetsim, or set PLANETSIM to its path" >&2
  exit 2
fi

"$planetsim" check "$folder" "$@"
status=$?

case $status in
  0)
    echo "check.sh: every expectation held"
    ;;
  1)
    echo "check.sh: expectations failed (exit 1): each FAIL above prints the command that reproduces it" >&2
    ;;
  2)
    echo "check.sh: bad input (exit 2): a scenario did not load, an expectation names a metric that does not exist, or an argument is wrong; the errors above say where" >&2
    ;;
  *)
    echo "check.sh: planetsim check ended with exit code $status" >&2
    ;;
esac
exit "$status"

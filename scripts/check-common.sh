# Shared by scripts/check-install.sh and scripts/check-deb.sh (sourced after each sets
# CHECK_NAME): how a check fails, and how a built sample program is run.

fail() {
  echo "$CHECK_NAME: $*" >&2
  exit 1
}

expect_ok() { # expect_ok WHAT CMD...: runs a built sample, which must print "ok"
  local what=$1 out
  shift
  out=$("$@") || fail "$what: the sample failed"
  printf '%s\n' "$out" | sed 's/^/    /'
  [ "$(printf '%s\n' "$out" | tail -n 1)" = ok ] || fail "$what: no \"ok\""
  echo "  $what: ok"
}

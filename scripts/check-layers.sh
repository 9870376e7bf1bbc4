#!/usr/bin/env bash
# Checks that the library's layers depend only downwards (see ARCHITECTURE.md):
#   error, win32  <  sys  <  store, rights  <  section, sync  <  any, inspect  (lib.rs re-exports)
# section and sync may not both depend on each other. Prints each violation; exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/../crates/fmap/src"
level() {
  case "$1" in
    error|win32) echo 0 ;;
    sys) echo 1 ;;
    store|rights) echo 2 ;;
    section|sync) echo 3 ;;
    any|inspect) echo 4 ;;
    lib) echo 5 ;;
    *) echo "unknown layer $1" >&2; exit 2 ;;
  esac
}
layer_of_file() {
  local f=${1#./}
  case "$f" in
    */*) echo "${f%%/*}" ;;
    *) echo "${f%.rs}" ;;
  esac
}
bad=0
declare -A edge
while IFS= read -r f; do
  from=$(layer_of_file "$f")
  # Every `crate::<module>` path the file uses (code and intra-doc links alike).
  # Code only: comments (doc links included) are no dependency.
  # `crate::{A, B}` groups count as `crate::A`, `crate::B`.
  for to in $(grep -vE '^\s*//' "$f" \
      | perl -ne 'while (/crate::\{([^}]*)\}/g) { print "crate::$_\n" for map { s/\s+//gr } split /,/, $1 } print "$1\n" while /(crate::[A-Za-z_0-9]+)/g' \
      | sed 's/crate:://' | sort -u); do
    # Items re-exported at the crate root count as the layer that defines them.
    case "$to" in
      Error|ErrorKind|Result) to=error ;;
      Access|Protection|SyncAccess) to=rights ;;
      Name|Namespace|Sharing|Scope|Kind|SweepReport|ROOT_ENV|Exported) to=store ;;
      Mapping|MappingOptions|View|File|Disposition|MAX_SECTION_SIZE|flush_view|unmap_view) to=section ;;
      Event|Mutex|MutexGuard|Semaphore|Waitable|WaitResult|WaitTarget|wait_one|wait_any|wait_all|wait_any_checked|wait_all_checked|set_spin|set_handoff|STATE_LOCK_TIMEOUT) to=sync ;;
      Listing|ObjectInfo|ObjectState|Holder|Foreign|ForeignKind|holders|holders_of) to=inspect ;;
      AnyObject|open_any) to=any ;;
    esac
    [ "$to" = "$from" ] && continue
    lf=$(level "$from"); lt=$(level "$to")
    if [ "$lt" -gt "$lf" ]; then
      echo "layer violation: $f ($from, level $lf) uses crate::$to (level $lt)"
      bad=1
    fi
    edge["$from>$to"]=1
  done
done < <(find . -name '*.rs' | sort)
if [ -n "${edge[section>sync]:-}" ] && [ -n "${edge[sync>section]:-}" ]; then
  echo "layer cycle: section and sync depend on each other"
  bad=1
fi
echo "edges: $(printf '%s\n' "${!edge[@]}" | sort | tr '\n' ' ')"
exit $bad

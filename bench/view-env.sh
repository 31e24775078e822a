# Sourced by the bench scripts that mount a view with pb-view-harness (from
# the source tree's root, with BUILD set): the unprivileged user the
# workloads run as (made if missing; PB_BENCH_USER, default pbtest), its ids
# U and G, AS (a command prefix that runs as it) and HARNESS.
USER_NAME=${PB_BENCH_USER:-pbtest}
id "$USER_NAME" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$USER_NAME"
U=$(id -u "$USER_NAME")
G=$(id -g "$USER_NAME")
AS=(setpriv --reuid="$U" --regid="$G" --clear-groups)
[[ "$BUILD" == /* ]] || BUILD=$PWD/$BUILD
HARNESS=$BUILD/fs/pb-view-harness
[ -x "$HARNESS" ] || { echo "build first: $HARNESS missing" >&2; exit 1; }

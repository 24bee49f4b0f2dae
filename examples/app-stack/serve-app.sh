#!/bin/sh
# Serve the app's code (examples/app-stack/app/) as a git repository the local nodes reach:
# a bare repository, branch main, under /var/lib/forklift-app-repo, served read-only by
# git daemon on the nodes' bridge address alone (10.77.0.1:9418: only this machine and
# its nodes reach it). It waits for the bridge when forklift has not made it yet (the
# first converge does), and runs until Ctrl-C.
#   sudo examples/app-stack/serve-app.sh            # then APP_REPO defaults to git://10.77.0.1/app.git
#   sudo examples/app-stack/serve-app.sh --commit   # commit the folder's current files (a new version), then serve
set -e
here=$(cd "$(dirname "$0")" && pwd)
base=/var/lib/forklift-app-repo
address=${APP_REPO_ADDRESS:-10.77.0.1}
command -v git >/dev/null || { echo "serve-app.sh: git is missing: apt-get install -y git" >&2; exit 1; }

work=$base/work
if [ ! -d "$work/.git" ]; then
  mkdir -p "$work"
  git -C "$work" init -q -b main
  git init -q --bare -b main "$base/app.git"
  touch "$base/app.git/git-daemon-export-ok"
fi
if [ ! -e "$base/app.git/refs/heads/main" ] || [ "${1:-}" = --commit ]; then
  cp -a "$here/app/." "$work/"
  git -C "$work" add -A
  git -C "$work" -c user.name=forklift -c user.email=app@forklift.invalid commit -q -m "app $(date -u +%FT%TZ)" || true
  git -C "$work" push -q --force "$base/app.git" main
  echo "serve-app.sh: main is $(git -C "$work" rev-parse --short HEAD)" >&2
fi
# Already served (an earlier run still going): the new commit is all --commit had to do.
ss -ltnH "sport = :9418" | grep -q " $address:9418 " && { echo "serve-app.sh: already serving git://$address/app.git" >&2; exit 0; }

until ip -4 -o addr show | grep -q " inet $address/"; do
  echo "serve-app.sh: waiting for $address (made by forklift's first converge on this machine)" >&2
  sleep 2
done
echo "serve-app.sh: serving git://$address/app.git" >&2
exec git daemon --reuseaddr --listen="$address" --base-path="$base" --export-all "$base/app.git"

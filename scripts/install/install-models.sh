#!/bin/sh
# scripts/install/install-models.sh SRC REL — copies the converted pretrained weights made
# by set-up (SRC, the source tree's models/: *.kfv word vectors, *.kfm CNNs, and their
# .sha256 stamps) into $DESTDIR<prefix>/REL at `meson install`.  Without them (set-up not
# run) kefud still serves text with BM25 and the nlu model; a note says so.
set -eu
src=$1
dst="${MESON_INSTALL_DESTDIR_PREFIX:?run by meson install}/$2"
mkdir -p "$dst"
n=0
for f in "$src"/*.kfv "$src"/*.kfm "$src"/*.sha256; do
	[ -f "$f" ] || continue
	install -m 0644 "$f" "$dst/"
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "install-models: no converted models in $src (run scripts/setup.sh first)" >&2
fi

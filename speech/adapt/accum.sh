# speech/adapt/accum.sh — sourced by mllr.sh and map.sh: sphinxtrain's bw statistics of
# transcribed clips aligned to Debian's en-us acoustic model, the common first half of both
# adaptations.
#
#   . accum.sh MANIFEST     (sets hmm, st, tmp, n; fills $tmp/hmm and $tmp/acc)
#
# MANIFEST: path<TAB>transcript[<TAB>...] lines (absolute paths, or relative to the
# manifest; any format libsndfile reads, mono); transcripts in cmudict's words.  Steps:
# clips -> 16-bit 16 kHz WAV (sndfile-convert; a clip at another rate, as flite's 8 kHz kal,
# resampled first by sndfile-resample with libsamplerate's fastest sinc, the converter
# kefu's decoder uses) -> MFCC with the model's own
# feat.params (sphinx_fe); the model's quantised mixture weights (sendump) back to a
# mixture_weights file (sendump_mixw.py, numpy) and its binary mdef to text
# (pocketsphinx_mdef_convert), which bw needs; bw collects the statistics of the clips
# aligned to their transcripts (batch CMN, as kefu decodes) into $tmp/acc.  $tmp is removed
# when the calling script exits.  Debian packages: sphinxtrain, sphinxbase-utils,
# pocketsphinx, sndfile-programs, samplerate-programs, python3-numpy (scripts/deps/speech.apt).
man=$1
adapt_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hmm=/usr/share/pocketsphinx/model/en-us/en-us
dict=/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict
st=/usr/lib/sphinxtrain
for t in "$st/bw" "$st/mllr_solve" "$st/map_adapt" "$(command -v sphinx_fe || true)" \
	"$(command -v pocketsphinx_mdef_convert || true)" "$(command -v sndfile-convert || true)" \
	"$(command -v sndfile-resample || true)"; do
	[ -n "$t" ] && [ -x "$t" ] || { echo "$(basename "$0"): sphinxtrain, sphinxbase-utils, pocketsphinx, sndfile-programs or samplerate-programs missing" >&2; exit 1; }
done
mdir=$(cd "$(dirname "$man")" && pwd)
tmp=$(mktemp -d /tmp/kefu-adapt-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wav" "$tmp/mfc" "$tmp/hmm" "$tmp/acc"
: > "$tmp/ids"
: > "$tmp/trans"
n=0
while IFS=$'\t' read -r path text _; do
	[ -n "$path" ] || continue
	case $path in /*) ;; *) path=$mdir/$path ;; esac
	n=$((n + 1))
	id=$(printf 'u%05d' "$n")
	rate=$(sndfile-info "$path" | awk '/^Sample Rate :/ { print $4; exit }')
	if [ "$rate" = 16000 ]; then
		sndfile-convert -pcm16 "$path" "$tmp/wav/$id.wav" >/dev/null
	else
		sndfile-resample -to 16000 -c 2 "$path" "$tmp/wav/$id.in.wav" >/dev/null
		sndfile-convert -pcm16 "$tmp/wav/$id.in.wav" "$tmp/wav/$id.wav" >/dev/null
		rm -f "$tmp/wav/$id.in.wav"
	fi
	echo "$id" >> "$tmp/ids"
	echo "<s> $text </s> ($id)" >> "$tmp/trans"
done < "$man"
sphinx_fe -argfile "$hmm/feat.params" -samprate 16000 -c "$tmp/ids" -di "$tmp/wav" \
	-do "$tmp/mfc" -ei wav -eo mfc -mswav yes > "$tmp/fe.log" 2>&1
for f in feat.params means variances transition_matrices noisedict; do
	ln -s "$hmm/$f" "$tmp/hmm/$f"
done
/usr/bin/python3 "$adapt_dir/sendump_mixw.py" "$hmm/sendump" "$tmp/hmm/mixture_weights" > /dev/null
pocketsphinx_mdef_convert -text "$hmm/mdef" "$tmp/hmm/mdef.txt" > /dev/null 2>&1
"$st/bw" -hmmdir "$tmp/hmm" -moddeffn "$tmp/hmm/mdef.txt" -ts2cbfn .ptm. \
	-feat 1s_c_d_dd -svspec 0-12/13-25/26-38 -cmn batch -agc none \
	-dictfn "$dict" -fdictfn "$tmp/hmm/noisedict" -ctlfn "$tmp/ids" -lsnfn "$tmp/trans" \
	-cepdir "$tmp/mfc" -cepext mfc -accumdir "$tmp/acc" > "$tmp/bw.log" 2>&1 ||
	{ tail -5 "$tmp/bw.log" >&2; exit 1; }

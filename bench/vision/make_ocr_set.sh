#!/usr/bin/env bash
# bench/vision/make_ocr_set.sh OUTDIR — renders the OCR benchmark set: screenshots and
# receipts in English, Chinese and mixed text, each in five variants (clean, blurred,
# JPEG quality 20, turned 180 degrees, skewed 3 degrees), with ImageMagick and Debian's
# DejaVu / Noto CJK fonts.  Writes OUTDIR/truth.tsv: file, lang, variant, expected codes
# (comma-separated), text (newlines as \n).
set -euo pipefail
out=$1
mkdir -p "$out"
sans=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
mono=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
cjk=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
: > "$out/truth.tsv"
n=0
add() { # lang font size fg bg codes text
	local lang=$1 font=$2 size=$3 fg=$4 bg=$5 codes=$6 text=$7
	n=$((n + 1))
	local base="$out/$(printf '%02d' $n)-$lang"
	convert -background "$bg" -fill "$fg" -font "$font" -pointsize "$size" \
		label:"$text" -bordercolor "$bg" -border 24 "$base-clean.png"
	convert "$base-clean.png" -blur 0x1.2 "$base-blur.png"
	convert "$base-clean.png" -quality 20 "$base-jpeg.jpg"
	convert "$base-clean.png" -rotate 180 "$base-upside.png"
	convert "$base-clean.png" -background "$bg" -rotate 3 "$base-skew.png"
	local esc=${text//$'\n'/\\n}
	for v in clean blur jpeg upside skew; do
		local f="$base-$v.png"
		[ $v = jpeg ] && f="$base-$v.jpg"
		printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$lang" "$v" "$codes" "$esc" \
			>> "$out/truth.tsv"
	done
}
add en $sans 20 black white "0x80070005" $'Windows Update failed\nError 0x80070005: Access is denied.\nTry again later or contact support.'
add en $mono 18 '#202020' '#f4f4f4' "SO-7734019,KF-55021" $'ORDER SO-7734019\nItem: running shoes, size 42\nReturn label KF-55021\nTotal: 89.90 EUR'
add en $sans 24 white '#c62828' "E1042" $'PAYMENT FAILED\nCode E1042: card declined'
add en $sans 16 '#333333' white "ERR_CONNECTION_REFUSED" $'This site cannot be reached\nlocalhost refused to connect.\nERR_CONNECTION_REFUSED'
add zh $cjk 22 black white "20231105" $'订单号 20231105\n商品已发货，请注意查收。'
add zh $cjk 22 '#202020' '#fff8e1' "" $'退款申请已提交\n预计三个工作日内到账'
add zh $cjk 26 white '#1565c0' "" $'支付失败\n请检查银行卡余额'
add mix $cjk 20 black white "A1234567" $'订单 A1234567 已取消\nOrder A1234567 cancelled'
add mix $cjk 20 black '#eeeeee' "TRK-99812" $'快递单号 TRK-99812\nTracking number TRK-99812'
add mix $cjk 22 white '#2e7d32' "E2001" $'错误代码 E2001\nLogin failed, please retry'
echo "make_ocr_set: $n texts x 5 variants in $out"

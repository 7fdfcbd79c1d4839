#!/usr/bin/env bash
# vision/testdata/make.sh — how the committed decoder fixtures were made (ImageMagick 6.9
# and Debian's python3, Debian 12).  Re-run only to change them; the tests read the
# committed files.  Every picture is a 40x20 "flag": left half red (255,0,0), right half
# blue (0,0,255), so a test can tell orientation and channel order from two pixels.
set -euo pipefail
cd "$(dirname "$0")"
flag="-size 20x20 xc:#ff0000 -size 20x20 xc:#0000ff +append +repage"
convert $flag -quality 95 flag.jpg
convert $flag flag.png
convert $flag -depth 16 PNG48:flag16.png
convert $flag -quality 95 flag.webp
convert $flag -quality 90 flag.heic
convert $flag -quality 90 flag.avif
# CMYK JPEG (what print workflows and some scanners send)
convert $flag -colorspace CMYK -quality 95 flag_cmyk.jpg
# EXIF orientation 6 ("rotate 90 clockwise to display"): stored 40x20, shown 20x40 with
# red on top.  A minimal APP1 Exif segment (one IFD0 entry, tag 0x0112 = 6) is inserted
# after SOI.
/usr/bin/python3 - <<'PY'
import struct
tiff = b'II*\x00' + struct.pack('<I', 8) + struct.pack('<H', 1) \
     + struct.pack('<HHII', 0x0112, 3, 1, 6) + struct.pack('<I', 0)
app1 = b'Exif\x00\x00' + tiff
seg = b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1
jpg = open('flag.jpg', 'rb').read()
open('flag_rot6.jpg', 'wb').write(jpg[:2] + seg + jpg[2:])
PY
# animated WebP: frame 1 is the flag, frame 2 solid green
convert -delay 10 \( $flag \) \( -size 40x20 xc:#00ff00 \) -loop 0 flag_anim.webp
# 1x1 pixel
convert -size 1x1 xc:#102030 one.png
# a GIF: a real image in a format kefu does not take
convert $flag flag.gif
# CNN parity inputs: three CC0 photos from ../shared/data/clothing/validation, shrunk and
# stored losslessly so tfjs and kefu see the same pixels (reference outputs in
# cnn_reference.txt, written by tools/nsfwjs_convert/reference.sh).
D=${CLOTHING:-../../../shared/data/clothing/validation}
convert "$D/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg" -resize '120x90!' cnn_shoes.png
convert "$D/dress/07cddef1-1fc8-47e4-a28a-613e60912590.jpg" -resize '80x100!' cnn_dress.png
convert "$D/t-shirt/0090ca2c-e8c8-43f6-b764-e48e0e954006.jpg" -resize '224x224!' cnn_tshirt.png
# OCR and code fixtures (fonts: fonts-dejavu-core, fonts-noto-cjk; codes: qrencode, zint)
sans=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
cjk=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
convert -background white -fill black -font $sans -pointsize 22 \
	label:'Error 0x80070005: Access is denied.\nOrder #A1234567 could not be shipped.' \
	-bordercolor white -border 20 ocr_error.png
convert -background white -fill black -font $sans -pointsize 9 \
	label:'Order #A1234567 could not be shipped.' -bordercolor white -border 6 ocr_small.png
convert -background '#e8710a' -fill white -font $sans -pointsize 26 \
	label:'PAYMENT FAILED  E1042' -bordercolor '#e8710a' -border 18 ocr_banner.png
convert ocr_error.png -rotate 180 ocr_upside.png
convert -background white -fill black -font $cjk -pointsize 26 \
	label:'订单号 20231105 已发货' -bordercolor white -border 20 ocr_chinese.png
qrencode -s 4 -m 4 -o code_qr.png '退货 RMA-20931 https://shop.example/r/42'
zint -b 13 -d 590123412345 --scale=2 -o code_ean13.png >/dev/null
zint -b 34 -d 03600029145 --scale=2 -o code_upca.png >/dev/null
zint -b 20 -d 'KF-2024-00042' --scale=2 -o code_c128.png >/dev/null
# ImageNet sanity picture (TensorFlow test data, Apache-2.0, via ../shared/models)
convert ${GRACE_HOPPER:-../../../shared/models/mobilenet-v2-imagenet/grace_hopper.bmp} -resize '224x224!' \
	-quality 90 grace_hopper_224.jpg

"""Small media makers shared by tests and benches: a PNG picture of words (Pillow, DejaVu
font) and a spoken WAV clip (flite). Both are deterministic for the same arguments."""
import io
import os
import subprocess


def picture_png(text="my card was declined", size=(420, 60), font_size=26):
    """A white PNG with `text` in black, as a customer's screenshot of an error would be."""
    from PIL import Image, ImageDraw, ImageFont
    img = Image.new("RGB", size, "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", font_size)
    ImageDraw.Draw(img).text((10, 12), text, fill="black", font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def text_page(lines=30):
    """PNG of many lines of black text on white (1400 px wide, DejaVu Sans): seconds of OCR,
    a few MB decoded, for the tests that keep a media worker busy."""
    from PIL import Image, ImageDraw, ImageFont
    path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    font = ImageFont.truetype(path, 26) if os.path.exists(path) else ImageFont.load_default()
    im = Image.new("RGB", (1400, 40 * lines + 40), "white")
    draw = ImageDraw.Draw(im)
    for i in range(lines):
        draw.text((20, 20 + 40 * i), "Order %d: my card payment failed with error E10%02d "
                  "please refund" % (1000 + i, i), fill="black", font=font)
    b = io.BytesIO()
    im.save(b, "PNG")
    return b.getvalue()


def voice_wav(tmp, text="I lost my card", voice="slt", name="voice.wav"):
    """`text` spoken by flite's `voice` as a WAV file in folder `tmp`; returns its bytes."""
    path = os.path.join(tmp, name)
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", path], check=True)
    with open(path, "rb") as f:
        return f.read()

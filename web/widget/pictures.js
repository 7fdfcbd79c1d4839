/* web/widget/pictures.js - pictures from the attach button, a paste into the message box
 * or a drop on the panel: read, downscaled when big, previewed with a thumbnail, and the
 * upload's progress.  Main thread.  A picture longer than MAX_SIDE px or bigger than
 * KEEP_BYTES is redrawn in a canvas and sent as JPEG; smaller ones go as they are (a PNG
 * screenshot keeps its sharp text for OCR).  The thumbnail is a data: URL, which strict
 * CSPs allow in img-src, unlike blob: URLs.  The file's name is never shown nor sent.
 */
import { h } from '../lib/dom.js';

const MAX_SIDE = 1600;
const KEEP_BYTES = 1500000;
const THUMB_SIDE = 160;

function canvasBlob(c, type, q) {
  return new Promise((ok) => c.toBlob(ok, type, q));
}

/* A canvas of w x h px with the bitmap drawn on white. */
function drawn(bm, w, h2) {
  const c = h('canvas', { width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h2)) });
  const g = c.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(bm, 0, 0, c.width, c.height);
  return c;
}

/* file -> {bytes, mime, thumb, width, height} as it will be sent. */
async function prepare(file) {
  const bm = await createImageBitmap(file);
  const big = Math.max(bm.width, bm.height);
  const scale = Math.min(1, MAX_SIDE / big);
  const t = Math.min(1, THUMB_SIDE / big);
  const thumb = drawn(bm, bm.width * t, bm.height * t).toDataURL('image/jpeg', 0.8);
  let blob = file;
  let size = [bm.width, bm.height];
  if (scale < 1 || file.size > KEEP_BYTES) {
    const c = drawn(bm, bm.width * scale, bm.height * scale);
    size = [c.width, c.height];
    blob = await canvasBlob(c, 'image/jpeg', 0.85);
  }
  return { bytes: await blob.arrayBuffer(), mime: blob.type || file.type, thumb,
    width: size[0], height: size[1] };
}

/* w: {T, ui, emit, log, chat}.  Returns the picture waiting for Send and the preview. */
export function setupPictures(w) {
  const { T, ui } = w;
  let picture = null;          /* {bytes, mime, thumb} waiting for Send */
  let uploading = null;        /* the outbox entry whose progress the preview shows */

  function clearPreview() {
    if (picture) return;
    ui.prev.hidden = true;
    ui.prevBox.hidden = true;
    ui.prevBar.style.width = '0';
    ui.prevTxt.textContent = '';
  }

  function take(file) {
    if (!file || !/^image\//.test(file.type || '')) {
      w.log.note(T.badimg);
      return;
    }
    prepare(file).then((p) => {
      picture = p;
      ui.prevImg.src = p.thumb;
      ui.prevBar.style.width = '0';
      ui.prevBox.hidden = true;
      ui.prevTxt.textContent = '';
      ui.prev.hidden = false;
      w.emit('picture', { bytes: p.bytes.byteLength, mime: p.mime, width: p.width,
        height: p.height });
      ui.input.focus();
    }).catch(() => w.log.note(T.badimg));
  }

  /* Upload progress from the socket's send buffer, then "looking at it". */
  function progress(m) {
    uploading = m;
    ui.prev.hidden = false;
    ui.prevBox.hidden = false;
    const total = m.bytes.byteLength;
    (function tick() {
      if (uploading !== m) return;
      const done = Math.max(0, 1 - w.chat.bufferedAmount() / total);
      ui.prevBar.style.width = Math.round(done * 100) + '%';
      ui.prevTxt.textContent = done < 1 ? T.uploading + Math.round(done * 100) + '%'
        : T.processing;
      if (done < 1) setTimeout(tick, 100);
    })();
  }

  ui.attachBtn.addEventListener('click', () => ui.fileIn.click());
  ui.prevClose.addEventListener('click', () => {
    picture = null;
    clearPreview();
    ui.input.focus();
  });
  ui.fileIn.addEventListener('change', () => {
    take(ui.fileIn.files[0]);
    ui.fileIn.value = '';
  });
  ui.input.addEventListener('paste', (e) => {
    const files = (e.clipboardData && e.clipboardData.files) || [];
    for (const f of files) {
      if (/^image\//.test(f.type)) {
        e.preventDefault();
        take(f);
        return;
      }
    }
  });
  const panel = ui.panel;
  panel.addEventListener('dragover', (e) => {
    if (e.dataTransfer && [].indexOf.call(e.dataTransfer.types, 'Files') >= 0) {
      e.preventDefault();
      ui.drop.hidden = false;
    }
  });
  panel.addEventListener('dragleave', (e) => {
    if (e.target === panel || !panel.contains(e.relatedTarget)) ui.drop.hidden = true;
  });
  panel.addEventListener('drop', (e) => {
    ui.drop.hidden = true;
    if (e.dataTransfer && e.dataTransfer.files.length) {
      e.preventDefault();
      take(e.dataTransfer.files[0]);
    }
  });

  return {
    /* The prepared picture (and forgets it), or null. */
    takeReady() {
      const p = picture;
      picture = null;
      return p;
    },
    progress,
    /* The upload m is answered (or given up): the preview goes. */
    done(m) {
      if (m === uploading) uploading = null;
      clearPreview();
    },
    clearPreview,
  };
}

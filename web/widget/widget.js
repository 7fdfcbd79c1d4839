/* web/widget/widget.js - the one tag a site embeds (docs/widget.md):
 *   <script src="https://kefu.example/widget/widget.js" data-server="https://kefu.example"
 *           data-title="Help" data-lang="en" data-color="#0b62c4" data-position="right">
 *   </script>
 * A classic script, so the tag needs no type="module" and document.currentScript tells us
 * our own URL and data-* settings; it then imports the widget's ES modules (main.js and
 * through it lib/ and the rest of this folder) from the same place.  kefud serves those
 * with "Access-Control-Allow-Origin: *", which module scripts from another origin need.
 * All of them are asked for at once (MODULES): following main.js's imports level by level
 * would cost one round trip per level (measured in docs/widget.md); a module missing from
 * the list still loads, one level later.  Until they have loaded, window.KefuWidget
 * queues open(), close() and send() calls.
 * Runs once on the page's main thread; a second copy of the tag does nothing.  Pure ASCII:
 * a host page without a charset decodes classic scripts as windows-1252 (modules are
 * always UTF-8).
 */
(function () {
  'use strict';
  if (window.KefuWidget) return;
  /* currentScript is null for a tag that an app put inside its own (open) shadow root. */
  function find(root) {
    var s = root.querySelector('script[src*="/widget/widget.js"]');
    var all = s ? [] : root.querySelectorAll('*');
    for (var i = 0; !s && i < all.length; i++) if (all[i].shadowRoot) s = find(all[i].shadowRoot);
    return s;
  }
  var script = document.currentScript || find(document);
  if (!script || !script.src) return;
  var calls = [];
  var api = { element: null };
  ['open', 'close', 'send'].forEach(function (name) {
    api[name] = function () { calls.push([name, [].slice.call(arguments)]); };
  });
  window.KefuWidget = api;
  var cfg = { src: script.src };
  ['server', 'title', 'lang', 'color', 'position'].forEach(function (k) {
    if (script.dataset[k]) cfg[k] = script.dataset[k];
  });
  var MODULES = ['panel.js', 'style.js', 'icons.js', 'transcript.js', 'pictures.js', 'voice.js',
    'people.js', '../lib/proto.js', '../lib/socket.js', '../lib/md.js', '../lib/dom.js',
    '../lib/storage.js', '../lib/strings.js', '../lib/typing.js', '../lib/operator.js'];
  MODULES.forEach(function (m) {
    import(new URL(m, script.src).href).catch(function () { /* main.js reports it */ });
  });
  var main = new URL('main.js', script.src).href;
  import(main).then(function (m) { m.start(cfg, api, calls); }, function (e) {
    console.error('kefu widget: cannot load ' + main + ': ' + e);
  });
})();

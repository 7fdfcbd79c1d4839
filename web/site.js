/* web/site.js — the demo help centre's own script: the search box and the topic links
 * open the chat widget and ask it the question, through the widget's public API
 * (window.KefuWidget, docs/widget.md).  Runs after widget.js's tag has put the API there;
 * calls made before the widget's modules have loaded are queued by it. */
(function () {
  'use strict';
  function ask(q) {
    if (!window.KefuWidget || !q) return;
    window.KefuWidget.open();
    window.KefuWidget.send(q);
  }
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('ask');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var q = document.getElementById('q');
      ask(q.value.trim());
      q.value = '';
    });
    document.querySelectorAll('[data-ask]').forEach(function (a) {
      a.addEventListener('click', function (e) {
        e.preventDefault();
        ask(a.getAttribute('data-ask'));
      });
    });
  });
})();

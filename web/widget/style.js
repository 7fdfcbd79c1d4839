/* web/widget/style.js - the widget's styles (main thread, read-only).  They go into the
 * shadow root as a constructed stylesheet (adoptedStyleSheets), which a strict
 * Content-Security-Policy without 'unsafe-inline' still applies.  :host resets every
 * inherited property with !important, and important declarations of a shadow tree win
 * over the page's, so the host page's CSS cannot reach in; nothing here reaches out.
 * --a is the accent colour (data-color sets it on the host element).
 */

/* The style sheet's text for a widget in the side ('left' or 'right') corner. */
export function css(side) {
  return `
  :host{
    all:initial !important;position:fixed !important;z-index:2147483000 !important;
    bottom:16px !important;${side}:16px !important;display:block !important;
    visibility:visible !important;opacity:1 !important;transform:none !important;
    font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC",
      "Microsoft YaHei",sans-serif !important;
    color:#1d2430 !important;--a:#0b62c4;--ai:#fff;--bg:#fff;--bot:#eef1f4;--line:#d5dbe3;
    --mut:#5b6675;
  }
  *,*::before,*::after{box-sizing:border-box}
  [hidden]{display:none !important}
  button{font:inherit;color:inherit;cursor:pointer;border:0;background:none;margin:0}
  button:focus-visible,textarea:focus-visible,[tabindex]:focus-visible,a:focus-visible{
    outline:3px solid var(--a);outline-offset:2px;
  }
  svg{
    width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;
    stroke-linejoin:round;
  }
  .launch{
    width:56px;height:56px;border-radius:50%;background:var(--a);color:var(--ai);display:grid;
    place-items:center;box-shadow:0 4px 16px rgba(0,0,0,.25);
  }
  .launch svg{width:28px;height:28px}
  .panel{
    position:absolute;bottom:68px;${side}:0;width:380px;max-width:calc(100vw - 32px);height:600px;
    max-height:calc(100vh - 100px);background:var(--bg);border:1px solid var(--line);
    border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.22);display:flex;flex-direction:column;
    overflow:hidden;
  }
  @media (max-width:480px){
    .panel{
      position:fixed;inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0;
      border:0;
    }
    :host(.open) .launch{display:none}
  }
  .head{
    display:flex;align-items:center;gap:6px;padding:10px 10px 10px 14px;background:var(--a);
    color:var(--ai);
  }
  .tt{flex:1;min-width:0}
  .head h2{font-size:16px;margin:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
  .st{font-size:12px;opacity:.9;display:block;font-weight:400}
  .ib{width:34px;height:34px;border-radius:8px;display:grid;place-items:center;flex:none}
  .head .ib:hover{background:rgba(255,255,255,.18)}
  .ib[aria-pressed=true]{background:rgba(255,255,255,.28)}
  .log{
    flex:1;overflow-y:auto;overflow-x:hidden;padding:12px;display:flex;flex-direction:column;
    gap:8px;overscroll-behavior:contain;
  }
  .m{max-width:85%;padding:8px 12px;border-radius:14px;overflow-wrap:anywhere;white-space:pre-wrap}
  .m p{margin:0 0 6px}
  .m p:last-child{margin:0}
  .m ul,.m ol{margin:4px 0;padding-left:20px}
  .m a{color:inherit}
  .m code{
    font-family:ui-monospace,monospace;font-size:90%;background:rgba(0,0,0,.06);padding:0 3px;
    border-radius:3px;
  }
  .me{align-self:flex-end;background:var(--a);color:var(--ai);border-bottom-right-radius:4px}
  .me.pending{opacity:.65}
  .bot{align-self:flex-start;background:var(--bot);border-bottom-left-radius:4px;white-space:normal}
  .note{align-self:center;font-size:13px;color:var(--mut);text-align:center;max-width:95%}
  .me img{display:block;max-width:100%;max-height:180px;border-radius:8px;margin-bottom:4px}
  .seen{align-self:flex-end;font-size:12px;color:var(--mut);max-width:85%;overflow-wrap:anywhere}
  .tools{display:flex;gap:4px;align-self:flex-start;margin-top:-4px}
  .tools button{
    width:30px;height:28px;border-radius:6px;display:grid;place-items:center;color:var(--mut);
  }
  .tools svg{width:16px;height:16px}
  .tools button[aria-pressed=true]{color:var(--a);background:var(--bot)}
  .quick{display:flex;flex-wrap:wrap;gap:6px}
  .quick button,.btn{
    border:1px solid var(--a);color:var(--a);border-radius:16px;padding:5px 12px;font-size:14px;
    text-align:left;
  }
  .btn.pri{background:var(--a);color:var(--ai);text-align:center}
  .typing{align-self:flex-start;color:var(--mut);font-size:13px}
  .typing i{
    display:inline-block;width:6px;height:6px;border-radius:50%;background:var(--mut);
    margin-right:3px;animation:b 1s infinite;
  }
  .typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
  @keyframes b{50%{opacity:.2}}
  @media (prefers-reduced-motion:reduce){.typing i{animation:none}}
  .prev{display:flex;align-items:center;gap:8px;padding:8px 12px;border-top:1px solid var(--line)}
  .prev .ib{margin-left:auto}
  .prev img{
    height:48px;max-width:120px;object-fit:contain;border-radius:6px;border:1px solid var(--line);
  }
  .bar{flex:1;height:6px;background:var(--bot);border-radius:3px;overflow:hidden}
  .bar b{display:block;height:100%;width:0;background:var(--a)}
  .rec{
    display:flex;align-items:center;gap:8px;padding:6px 12px;color:#b00020;font-size:13px;
    border-top:1px solid var(--line);
  }
  .form{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid var(--line)}
  .form .ib{color:var(--mut)}.form .ib.on{color:#b00020}
  textarea{
    flex:1;min-width:0;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);
    border-radius:10px;padding:7px 10px;resize:none;max-height:120px;margin:0;
  }
  .send{background:var(--a);color:var(--ai);border-radius:10px;padding:7px 14px;font-weight:600}
  .rate{
    align-self:stretch;border:1px solid var(--line);border-radius:10px;padding:10px;display:flex;
    flex-direction:column;gap:8px;
  }
  .stars{display:flex;gap:2px}
  .stars button{width:36px;height:36px;display:grid;place-items:center;color:#c8a200}
  .stars svg{width:26px;height:26px}
  .stars button[aria-checked=true] svg,.stars .lit svg{fill:currentColor}
  .rate textarea{flex:none}
  .leave .ttl{font-weight:600}
  .leave input{
    font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);
    border-radius:10px;padding:7px 10px;width:100%;box-sizing:border-box;margin:0;
  }
  .leave .fld{display:block}
  .leave textarea{width:100%;box-sizing:border-box}
  .leave .err{color:#b00020;font-size:13px;margin:0}
  .leave .err:empty{display:none}
  .leave button:disabled{opacity:.6}
  .drop{
    position:absolute;inset:0;background:rgba(11,98,196,.12);border:3px dashed var(--a);
    display:grid;place-items:center;font-weight:600;pointer-events:none;
  }
  .vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
  @media (prefers-color-scheme:dark){
    :host{color:#e6eaf0 !important;--bg:#1a2028;--bot:#262e39;--line:#33404f;--mut:#a3adba}
  }
`;
}

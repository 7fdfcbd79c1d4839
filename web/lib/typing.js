/* web/lib/typing.js - the "is typing" signal a person's client sends while they write:
 * the widget's customer to the operator who took the chat over, the console's operator
 * to the customer.  Main thread; one object per text box.  input() on every keystroke
 * sends on=true at once and again every REPEAT_MS while typing goes on (the other side
 * fades its indicator after a while without news); IDLE_MS without a keystroke, or
 * stop() (the message was sent), sends on=false once.
 */

const REPEAT_MS = 3000;
const IDLE_MS = 4000;

/* send(on): delivers the signal (a frame on the client's socket). */
export function typingSignal(send) {
  let on = false;
  let last = 0;
  let idle = 0;

  function stop() {
    clearTimeout(idle);
    if (on) send(false);
    on = false;
  }

  return {
    input() {
      const now = Date.now();
      if (!on || now - last >= REPEAT_MS) {
        send(true);
        on = true;
        last = now;
      }
      clearTimeout(idle);
      idle = setTimeout(stop, IDLE_MS);
    },
    stop,
  };
}

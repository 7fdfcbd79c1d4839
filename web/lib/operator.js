/* web/lib/operator.js - the person side of a chat, for every customer-facing client (the
 * widget, the chat page): an operator taking the chat over or handing it back
 * (operator_joined / operator_left frames: a note naming them), an operator typing, and
 * which operator has the chat.  docs/protocol.md "Take-over".  Main thread; one object per
 * chat.  The views stay theirs: on.note(text) adds a note, on.typing(on) shows or hides
 * the typing indicator, on.change(f) hears of the hand-over (name '' when the bot has the
 * chat again).
 */

/* T: the client's strings (lib/strings.js: joined, left). */
export function operatorFrames(T, on) {
  let name = '';
  return {
    /* Takes a frame the protocol client did not handle itself; true when it was one of
     * the take-over frames. */
    frame(f) {
      if (f.type === 'operator_joined' || f.type === 'operator_left') {
        const who = String(f.name || '');
        name = f.type === 'operator_joined' ? who : '';
        const words = f.type === 'operator_joined' ? T.joined : T.left;
        if (on.note) on.note(words.replace('{name}', who));
        if (on.change) on.change(f);
        return true;
      }
      if (f.type === 'typing' && f.from === 'operator') {
        if (on.typing) on.typing(!!f.on);
        return true;
      }
      return false;
    },
    /* The name of the operator who has the chat, '' while the bot answers. */
    name: () => name,
  };
}

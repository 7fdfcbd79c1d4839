/* tests/browser/test_leave_message.js — nobody online: the widget's "Talk to a person"
 * offers a "Leave a message" form, and what the customer leaves reaches the console.  A
 * customer on the demo site gets a bot answer, writes a card number, asks for a person
 * while no operator is signed in: the form appears (its fields by accessible name) and
 * says what is missing (the message, then an e-mail address or phone number, then a
 * phone that is not one); the customer sends name, phone and message; the form gives way
 * to a confirmation, kefud kept the message with its contact, and the widget keeps
 * answering questions.  Then an operator signs in (kefud runs with operator_capacity 0,
 * so nothing is assigned by itself): the list shows the conversation
 * waiting and flagged "left a message", the transcript shows the contact as given and
 * the customer's words redacted the way kefu redacts (the card number and the phone in
 * the text, not the phone the customer gave to be called back) and markup in the name
 * as text.  Screenshots of each state.
 */
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

run('leave-message', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'agent', 'Ann', 'correct horse battery');
  const bc = await t.browser([], { viewport: { width: 1280, height: 800 } });
  const cust = await t.page(bc);
  await cust.goto(kefud.url('/'));
  const w = t.widget(cust);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('my card 4111 1111 1111 1111 was stolen', 2);

  // nobody online: the hand-off answer comes with the form
  await cust.getByRole('button', { name: 'Talk to a person' }).click();
  const ho = await w.waitEvent('handoff');
  check(ho.operators_online === 0, 'an operator online: ' + JSON.stringify(ho));
  const form = cust.getByRole('form', { name: 'Leave a message' });
  await form.waitFor();
  const name = form.getByRole('textbox', { name: 'Name (optional)' });
  const email = form.getByRole('textbox', { name: 'E-mail' });
  const phone = form.getByRole('textbox', { name: 'Phone' });
  const text = form.getByRole('textbox', { name: 'Your message' });
  const send = form.getByRole('button', { name: 'Send message' });
  const alert = form.getByRole('alert');
  check(await name.count() === 1 && await email.count() === 1 && await phone.count() === 1 &&
    await text.count() === 1, 'the form lacks a field');
  await t.shot(cust, 'form');

  // it says what is missing, and sends nothing until it is right
  await send.click();
  check(/write your message/.test(await alert.innerText()), 'no message: ' + await alert.innerText());
  await text.fill('Please call me back about my card 4111 1111 1111 1111, or on 020 7946 0958.');
  await send.click();
  check(/e-mail address or a phone number/.test(await alert.innerText()),
    'no contact: ' + await alert.innerText());
  await phone.fill('call me');
  await send.click();
  check(/phone number does not look right/.test(await alert.innerText()),
    'bad phone: ' + await alert.innerText());
  check(kefud.sql("SELECT count(*) AS n FROM messages WHERE meta LIKE '%left_message%'")[0].n === 0,
    'a wrong form was sent');
  await t.shot(cust, 'form-error');

  await name.fill('Kim <b>Lee</b>');
  await phone.fill('+86 138 1234 5678');
  await send.click();
  await cust.getByText(/Your message is with our team/).waitFor();
  check(await form.count() === 0, 'the form stays after it was sent');
  const left = await w.waitEvent('left_message');
  check(/^l-/.test(left.id), 'left_message event: ' + JSON.stringify(left));
  const rows = kefud.sql("SELECT text, meta FROM messages WHERE meta LIKE '%left_message%'");
  check(rows.length === 1 && /4111 1111 1111 1111/.test(rows[0].text), 'kept: ' + JSON.stringify(rows));
  const meta = JSON.parse(rows[0].meta);
  check(meta.left_message === true && meta.phone === '+86 138 1234 5678' &&
    meta.name === 'Kim <b>Lee</b>' && !('email' in meta), 'contact kept: ' + rows[0].meta);
  await t.shot(cust, 'left');

  // the widget keeps working
  const n = await w.bots.count();
  await w.ask('What exchange rate do you use?', n + 1);
  const r = await w.waitEvent('reply', (d) => d.title === 'Exchange rates');
  check(!r.fallback, 'the bot stopped answering');

  // the console: waiting, flagged, the contact as given, the customer's words redacted
  const op = await t.page(await bc.browser().newContext({ viewport: { width: 1280, height: 800 } }));
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'ann', 'correct horse battery');
  const list = op.getByRole('list', { name: 'Conversations' });
  const item = list.getByRole('link').first();
  await item.waitFor();
  const itemText = await item.innerText();
  check(/left a message/.test(itemText) && /[Ww]aiting/.test(itemText), 'list item: ' + itemText);
  check(!/4111/.test(itemText), 'a card number in the list: ' + itemText);
  await item.click();
  const log = op.getByRole('log', { name: 'Transcript' });
  const note = log.getByRole('note', { name: 'Left a message while nobody was online' });
  await note.waitFor();
  const noteText = await note.innerText();
  check(noteText.includes('Kim <b>Lee</b>') && /\+86 138 1234 5678/.test(noteText),
    'contact: ' + noteText);
  check(await note.locator('b').count() === 0, 'markup in the contact was rendered');
  const all = await log.innerText();
  check(/my card \[card\] was stolen/.test(all), 'customer text not redacted: ' + all);
  check(/Please call me back about my card \[card\], or on \[phone\]\./.test(all), 'left text: ' + all);
  check(!/4111/.test(all) && !/7946/.test(all), 'personal data in the transcript: ' + all);
  await t.shot(op, 'console-left-message');
}, { allowConsole: EXPECTED_HTTP_ERRORS, timeout: 150000, kefudArgs: ['--operator-capacity', '0'] });

/* web/widget/icons.js - the widget's icons: SVG path data for lib/dom.js icon()
 * (24x24, stroked).  Read-only. */
export const I = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
  close: 'M6 6l12 12M18 6L6 18',
  clip: 'M16.5 6.5l-8 8a2 2 0 0 0 2.8 2.8l8.2-8.2a4 4 0 0 0-5.7-5.7L5.6 11.6a6 6 0 0 0 8.5 ' +
    '8.5l6.4-6.4',
  mic: 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3',
  up: 'M7 11v9H4v-9h3zm2 9h8.5a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.7 10H14V5.5A2.5 2.5 0 0 0 ' +
    '11.5 3L9 10v10z',
  down: 'M17 13V4h3v9h-3zm-2-9H6.5a2 2 0 0 0-2 1.6l-1.2 6A2 2 0 0 0 5.3 14H10v4.5a2.5 2.5 0 0 ' +
    '0 2.5 2.5L15 14V4z',
  person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 9a8 8 0 0 1 16 0',
  star: 'M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2-5.5-2.9-5.5 2.9 1-6.2L3 9.7l6.2-.9z',
  sound: 'M4 9v6h4l5 4V5L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z',
};

/**
 * Volunteer capture that survives a lost signal. The capture form works without JavaScript; with it, a response
 * given while the device is offline (or cannot reach Patchwork) is kept in this browser's storage and sent to
 * the campaign's sync address when the connection is back: on the 'online' event, when the page loads, or when
 * the volunteer presses "Send now". Each response carries an id made here, so sending it twice (a reply lost on
 * the way back) stores it once.
 *
 * Hooks on the page: <form data-voice-capture data-sync-url=… data-campaign-id=…> with a hidden input
 * name="clientId" and the CSRF field name="_csrf"; <div data-voice-offline-status aria-live="polite"> for messages.
 */

const form = document.querySelector('form[data-voice-capture]');
const status = document.querySelector('[data-voice-offline-status]');

/** crypto.randomUUID needs a secure context; the fallback makes the same shape of id from the same randomness. */
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

if (form && status) {
  const campaignId = form.dataset.campaignId;
  const syncUrl = form.dataset.syncUrl;
  const key = `patchwork-voice-offline:${campaignId}`;
  const clientIdInput = form.querySelector('input[name="clientId"]');
  const token = () => form.querySelector('input[name="_csrf"]')?.value ?? '';
  let sending = false;
  /** Said after a send, until the next change: "Sent 2 responses…". */
  let lastNote = '';

  const freshId = () => {
    if (clientIdInput) clientIdInput.value = newId();
  };

  /** The responses waiting on this device: { clientId, answeredAt, fields: [[name, value]…], problems?: [{field, message}] }. */
  const waiting = () => {
    try {
      const list = JSON.parse(localStorage.getItem(key) ?? '[]');
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  };
  const keep = (list) => {
    if (list.length) localStorage.setItem(key, JSON.stringify(list));
    else localStorage.removeItem(key);
  };

  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  /** Rewrites the status region from what is stored: how many wait, which were refused and why. */
  function show(extra = '') {
    const list = waiting();
    const pending = list.filter((r) => !r.problems);
    const refused = list.filter((r) => r.problems);
    status.replaceChildren();
    const lines = [];
    if (lastNote) lines.push(lastNote);
    if (pending.length)
      lines.push(
        `Saved on this device: ${plural(pending.length, 'response', 'responses')} waiting to send. ${pending.length === 1 ? 'It' : 'They'} will be sent when you are back online.`,
      );
    if (extra) lines.push(extra);
    if (!lines.length && !refused.length) {
      status.classList.remove('govuk-inset-text');
      return;
    }
    status.classList.add('govuk-inset-text');
    for (const line of lines) status.append(el('p', { class: 'govuk-body' }, line));
    if (refused.length) {
      status.append(el('p', { class: 'govuk-body govuk-!-font-weight-bold' }, `${plural(refused.length, 'response', 'responses')} could not be sent:`));
      const ul = el('ul', { class: 'govuk-list' });
      refused.forEach((r) => {
        const li = el('li');
        const when = new Date(r.answeredAt);
        const label = `Response saved ${Number.isNaN(when.getTime()) ? '' : when.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}`;
        // A glimpse of what was said (never contact details), so the volunteer knows which one it is.
        const said = r.fields.filter(([name, value]) => value && /^(answer|comment)-/.test(name)).map(([, value]) => value).join(', ');
        li.append(el('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, `${label}${said ? ` (“${said.length > 80 ? `${said.slice(0, 80)}…` : said}”)` : ''}: ${r.problems.map((p) => p.message).join('; ')}`));
        const discard = el('button', { type: 'button', class: 'govuk-button govuk-button--warning govuk-!-margin-bottom-2', 'data-discard': r.clientId }, 'Discard');
        discard.append(el('span', { class: 'govuk-visually-hidden' }, ` the ${label.toLowerCase()}`));
        li.append(discard);
        ul.append(li);
      });
      status.append(ul);
    }
    if (pending.length) status.append(el('button', { type: 'button', class: 'govuk-button govuk-button--secondary', 'data-send-now': '' }, 'Send now'));
  }

  status.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('button') : null;
    if (!target) return;
    if (target.hasAttribute('data-send-now')) {
      if (navigator.onLine) void send();
      else show('This device is still offline. Try again when it has a signal.');
    }
    const id = target.getAttribute('data-discard');
    if (id) {
      keep(waiting().filter((r) => r.clientId !== id));
      lastNote = 'The response was discarded.';
      show();
    }
  });

  /** Keeps the form's answers on this device and clears the form for the next person. */
  function saveHere() {
    const fields = [...new FormData(form)].filter(([name, value]) => typeof value === 'string' && name !== '_csrf' && name !== 'clientId');
    const list = waiting();
    const clientId = clientIdInput?.value || newId();
    if (!list.some((r) => r.clientId === clientId)) list.push({ clientId, answeredAt: new Date().toISOString(), fields });
    keep(list);
    form.reset();
    freshId();
    lastNote = '';
    show();
  }

  /** Sends each waiting response; stops at the first sign the connection or the session is not there. */
  async function send() {
    if (sending || !navigator.onLine) return;
    const pending = waiting().filter((r) => !r.problems);
    if (!pending.length) return;
    sending = true;
    let sent = 0;
    let stopped = '';
    try {
      for (const r of pending) {
        let res;
        try {
          res = await fetch(syncUrl, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': token() },
            body: JSON.stringify({ clientId: r.clientId, answeredAt: r.answeredAt, fields: r.fields }),
          });
        } catch {
          stopped = ''; // still offline: the message about waiting responses says it all
          break;
        }
        let body = null;
        try {
          body = await res.json();
        } catch {
          body = null;
        }
        const list = waiting();
        if (body && (body.status === 'recorded' || body.status === 'already-recorded')) {
          keep(list.filter((x) => x.clientId !== r.clientId));
          sent++;
        } else if (body && body.status === 'refused' && Array.isArray(body.problems)) {
          keep(list.map((x) => (x.clientId === r.clientId ? { ...x, problems: body.problems } : x)));
        } else if (res.status === 401 || res.status === 403) {
          stopped = 'Sign in again, then come back to this page to send them.';
          break;
        } else {
          stopped = 'Patchwork could not take them just now. They are still saved here: try again in a few minutes.';
          break;
        }
      }
    } finally {
      sending = false;
    }
    lastNote = sent ? `Sent ${plural(sent, 'response', 'responses')} saved on this device.` : '';
    show(stopped);
  }

  form.addEventListener('submit', async (event) => {
    if (!navigator.onLine) {
      event.preventDefault();
      saveHere();
      return;
    }
    // Online: send the form as the browser would, but find out first whether it arrived.
    event.preventDefault();
    const submitter = event.submitter;
    const data = new FormData(form, submitter ?? undefined);
    let res;
    try {
      res = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([...data].filter(([, v]) => typeof v === 'string')),
        redirect: 'manual',
      });
    } catch {
      saveHere();
      return;
    }
    if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
      // Recorded: the server redirected (with its message). Load the capture page afresh for the next person.
      window.location.assign(window.location.pathname + window.location.search);
      return;
    }
    // Anything else (a problem to correct, an expired form) is shown as the server shows it without JavaScript;
    // the same clientId means a second arrival is not stored twice.
    HTMLFormElement.prototype.submit.call(form);
  });

  window.addEventListener('online', () => void send());
  window.addEventListener('offline', () => show());
  freshId();
  show();
  void send();
}

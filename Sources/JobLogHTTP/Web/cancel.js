// The Cancel button of a RUNNING run and its confirmation dialog (a plain
// <dialog>): asks for a reason, then POSTs /api/admin/jobs/ID/cancel (the
// socket's cancelRun). The page shows "cancel requested" from the run the
// daemon answers and from the live `cancel` event; the job decides when it
// stops (the daemon escalates to SIGTERM after the grace period).

import * as api from './api.js';
import { h } from './dom.js';

/**
 * Creates the control for run `runId`. `onAnswer(run)` gets the run the
 * daemon answered. Returns {node, update(run)}: update shows the button only
 * while the run is RUNNING.
 */
export function cancelControl(runId, onAnswer) {
  const reason = h('input', { type: 'text', name: 'reason', maxlength: '1000', placeholder: 'why (optional)', 'aria-label': 'reason' });
  const error = h('p', { class: 'err cancelerr', hidden: true });
  const confirm = h('button', { type: 'submit', class: 'danger confirm', value: 'confirm' }, 'Cancel run');
  const back = h('button', { type: 'button', class: 'back' }, 'Keep running');
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', null, 'Cancel run #' + runId + '?'),
    h('p', { class: 'muted small' }, 'The job is asked to stop; if it is still running after 30 s it gets SIGTERM, then SIGKILL.'),
    h('label', null, 'Reason ', reason),
    error,
    h('div', { class: 'dialogbuttons' }, back, confirm),
  );
  const dialog = h('dialog', { class: 'canceldialog' }, form);
  const button = h('button', { type: 'button', class: 'cancel danger' }, 'Cancel…');
  const node = h('span', { class: 'cancelctl' }, button, dialog);

  button.addEventListener('click', () => {
    error.hidden = true;
    confirm.disabled = false;
    reason.value = '';
    dialog.showModal();
    reason.focus();
  });
  back.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    confirm.disabled = true;
    try {
      const run = await api.cancelRun(runId, reason.value.trim() ? { reason: reason.value.trim() } : {});
      dialog.close();
      onAnswer(run);
    } catch (err) {
      error.textContent = 'Not cancelled: ' + (err && err.message ? err.message : String(err));
      error.hidden = false;
      confirm.disabled = false;
    }
  });

  return {
    node,
    update(run) {
      button.hidden = run.status !== 'RUNNING';
      if (run.status !== 'RUNNING' && dialog.open) dialog.close();
    },
  };
}

// The pinboard of the push list, as in Treeherder: failed jobs pinned (`space`, or a
// ctrl/cmd-click on a symbol) are listed together and classified in one go, with one
// classification, bug numbers and a note (`ctrl+enter` saves, `ctrl+shift+u` clears). Saving
// is one `classifyJobs` for every pinned job; the board empties when it is saved.

import { esc, statusOf, FAILED, STATUS_MARK } from './util.js';
import {
  CLASSIFICATIONS, DEFAULT_CLASSIFICATION, classificationName, classifyJobs, isOpen, parseBugs,
} from './classify.js';

/** Jobs the board holds at most (a sheriff classifies a push's failures, not a tree's). */
export const MAX_PINNED = 500;

export class Pinboard {
  /** `el`: the board's element; `onChange(guids)` after a pin or unpin (to redraw symbols). */
  constructor(el, { onChange, canClassify }) {
    this.el = el;
    this.onChange = onChange;
    this.canClassify = canClassify;
    this.jobs = new Map(); // guid -> job, in pinning order
    this.saving = false;
    this.render();
    this.onClick = (event) => {
      const unpin = event.target.closest('button.unpin');
      if (unpin) this.unpin(unpin.dataset.guid);
      else if (event.target.closest('button.clear-pins')) this.clear();
    };
    this.onSubmit = (event) => {
      event.preventDefault();
      this.save();
    };
    el.addEventListener('click', this.onClick);
    el.addEventListener('submit', this.onSubmit);
  }

  destroy() {
    this.el.removeEventListener('click', this.onClick);
    this.el.removeEventListener('submit', this.onSubmit);
  }

  has(guid) {
    return this.jobs.has(guid);
  }

  get size() {
    return this.jobs.size;
  }

  pin(job) {
    if (!job || this.jobs.has(job.guid)) return;
    if (!FAILED.has(statusOf(job))) {
      this.say(`${job.name} did not fail: only failed jobs are classified`, true);
      return;
    }
    if (this.jobs.size >= MAX_PINNED) {
      this.say(`the pinboard holds at most ${MAX_PINNED} jobs`, true);
      return;
    }
    this.jobs.set(job.guid, job);
    this.renderJobs();
    this.onChange([job.guid]);
  }

  unpin(guid) {
    if (!this.jobs.delete(guid)) return;
    this.renderJobs();
    this.onChange([guid]);
  }

  toggle(job) {
    if (this.jobs.has(job.guid)) this.unpin(job.guid);
    else this.pin(job);
  }

  /** Unpins every job; the board hides unless `keepMessage` (a save's outcome stays said). */
  clear({ keepMessage = false } = {}) {
    if (!keepMessage) this.say('');
    const guids = [...this.jobs.keys()];
    this.jobs.clear();
    this.renderJobs();
    this.onChange(guids);
  }

  /** A pinned job changed (live): its entry follows. */
  update(job) {
    if (!this.jobs.has(job.guid)) return;
    this.jobs.set(job.guid, job);
    this.renderJobs();
  }

  /** Puts the focus in the form: `b` the bugs, `c` the note (Treeherder's keys). */
  focus(field) {
    const input = this.el.querySelector(`[name=${field}]`);
    if (input) input.focus();
  }

  render() {
    const options = CLASSIFICATIONS
      .filter(([value]) => value !== 'AUTOCLASSIFIED_INTERMITTENT')
      .map(([value, name]) => `<option value="${value}"${value === DEFAULT_CLASSIFICATION ? ' selected' : ''}>${esc(name)}</option>`)
      .join('');
    this.el.innerHTML = `<h2>Pinboard <span class="n"></span></h2>
<ul class="pin-list"></ul>
<form class="pin-form" aria-label="classify the pinned jobs">
<label>Classification <select name="classification">${options}</select></label>
<label>Bugs <input name="bugs" placeholder="1234567, 2345678" inputmode="numeric" autocomplete="off"></label>
<label class="grow">Note <input name="note" placeholder="why (optional)" autocomplete="off"></label>
<button type="submit" title="classify every pinned job (ctrl+enter)">Save</button>
<button type="button" class="clear-pins" title="unpin every job (ctrl+shift+u)">Clear</button>
</form>
<p class="pin-status" role="status"></p>`;
    this.renderJobs();
  }

  renderJobs() {
    const n = this.jobs.size;
    this.el.hidden = n === 0 && !this.el.querySelector('.pin-status').textContent;
    this.el.querySelector('.n').textContent = `(${n} job${n === 1 ? '' : 's'})`;
    this.el.querySelector('.pin-list').innerHTML = [...this.jobs.values()].map((job) => {
      const word = statusOf(job);
      const cls = job.classification && !isOpen(job.classification)
        ? ` <span class="cls c-${esc(job.classification.classification.toLowerCase())}">${esc(classificationName(job.classification.classification))}</span>`
        : '';
      return `<li data-guid="${esc(job.guid)}"><span class="job s-${esc(word)}" aria-hidden="true">${esc(job.symbol || STATUS_MARK[word])}</span> ${esc(job.name)} <span class="kind">${esc(word)}</span>${cls}
<button type="button" class="unpin" data-guid="${esc(job.guid)}" aria-label="unpin ${esc(job.name)}" title="unpin">×</button></li>`;
    }).join('');
  }

  say(text, failed = false) {
    const status = this.el.querySelector('.pin-status');
    status.textContent = text;
    status.classList.toggle('error', failed);
    if (text) this.el.hidden = false;
  }

  /** Classifies every pinned job as the form says (`ctrl+enter`). */
  async save() {
    if (this.saving) return;
    if (!this.jobs.size) {
      this.say('nothing is pinned: select a failed job and press space', true);
      return;
    }
    const reason = this.canClassify();
    if (reason) {
      this.say(reason, true);
      return;
    }
    const form = this.el.querySelector('form');
    let bugs;
    try {
      bugs = parseBugs(form.elements.bugs.value);
    } catch (error) {
      this.say(error.message, true);
      form.elements.bugs.focus();
      return;
    }
    const classification = form.elements.classification.value;
    const guids = [...this.jobs.keys()];
    this.saving = true;
    this.say(`classifying ${guids.length} job${guids.length === 1 ? '' : 's'}…`);
    try {
      await classifyJobs({ jobs: guids, classification, bugs, note: form.elements.note.value });
      this.say(`${guids.length} job${guids.length === 1 ? '' : 's'} classified ${classificationName(classification)}${bugs.length ? ` with bug ${bugs.join(', ')}` : ''}`);
      form.elements.bugs.value = '';
      form.elements.note.value = '';
      this.clear({ keepMessage: true });
    } catch (error) {
      this.say(error.message, true);
    } finally {
      this.saving = false;
    }
  }
}

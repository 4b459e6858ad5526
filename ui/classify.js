// Sheriffing in the job detail: a failed job's current classification and its history, its
// failure lines with the search terms Treeherder derives from each and the bugs they suggest
// (open and recent first, the others folded), one click on a suggested bug to classify the
// job intermittent with it (or only that line: `classifyFailureLine`; a failed test result's
// button classifies only that test as the form says: `classifyTest`), and a form for any
// classification, bugs and note. Also the vocabulary the push list and the pinboard share
// (the eight classifications, what counts as an unclassified failure) and the writes.

import { gql, GraphQLError } from './graphql.js';
import { href } from './router.js';
import { esc, safeUrl, timeAgo, FAILED, statusOf } from './util.js';
import { logViewHref } from './logview.js';
import { askForToken, maySheriff, token } from './token.js';

/** Treeherder's eight classifications: GraphQL value and Treeherder's name, in its id order. */
export const CLASSIFICATIONS = [
  ['NOT_CLASSIFIED', 'not classified'],
  ['FIXED_BY_COMMIT', 'fixed by commit'],
  ['EXPECTED_FAIL', 'expected fail'],
  ['INTERMITTENT', 'intermittent'],
  ['INFRA', 'infra'],
  ['NEW_FAILURE_NOT_CLASSIFIED', 'new failure not classified'],
  ['AUTOCLASSIFIED_INTERMITTENT', 'autoclassified intermittent'],
  ['INTERMITTENT_NEEDS_BUGID', 'intermittent needs bugid'],
];
const NAMES = new Map(CLASSIFICATIONS);
/** What a person picks by default (Treeherder's pinboard starts on "intermittent"). */
export const DEFAULT_CLASSIFICATION = 'INTERMITTENT';
/** The two that still call for a sheriff (the model's `is_classified`). */
const STILL_OPEN = new Set(['NOT_CLASSIFIED', 'NEW_FAILURE_NOT_CLASSIFIED']);

export function classificationName(value) {
  return NAMES.get(value) || String(value || '').toLowerCase().replace(/_/g, ' ');
}

/** Whether a classification (or none) leaves a failure still to be looked at. */
export function isOpen(classification) {
  return !classification || STILL_OPEN.has(classification.classification);
}

/** A failed job nobody has classified yet: what `n` / `p` step through. */
export function isUnclassifiedFailure(job) {
  return FAILED.has(statusOf(job)) && isOpen(job.classification);
}

/** A failed job that has been classified: drawn calmer, with Treeherder's asterisk. */
export function isClassifiedFailure(job) {
  return FAILED.has(statusOf(job)) && !isOpen(job.classification);
}

const CLASSIFICATION_FIELDS = 'classification bugs note who at automatic';
const BUG_FIELDS = 'id summary status resolution dupeOf url';

/** The detail query's sheriffing fields, for what the server has (see features.js). */
export function detailFields(features) {
  const parts = [];
  if (features.classification) {
    parts.push(`classification { ${CLASSIFICATION_FIELDS} }`, `classificationHistory { ${CLASSIFICATION_FIELDS} }`);
  }
  if (features.failureLines) {
    parts.push(`failureLines { log position lineNumber line
      ${features.lineSearch ? 'search { searchTerms pathEnd cleaned crashSignature recurrenceKey }' : ''}
      ${features.lineSuggestions ? `suggestions { openRecent { ${BUG_FIELDS} } allOthers { ${BUG_FIELDS} } }` : ''}
      ${features.classification ? `classification { ${CLASSIFICATION_FIELDS} }` : ''} }`);
  }
  return parts.join('\n');
}

/** The test results' sheriffing fields, for what the server has. */
export function testResultFields(features) {
  return features.classifyTest ? `classification { ${CLASSIFICATION_FIELDS} }` : '';
}

/** "1234, 5678" or "1234 5678" → [1234, 5678]; throws on anything but positive integers. */
export function parseBugs(text) {
  const words = String(text || '').split(/[\s,;]+/).map((w) => w.replace(/^(bug|#)/i, '')).filter(Boolean);
  const bugs = [];
  for (const word of words) {
    if (!/^\d+$/.test(word) || Number(word) <= 0 || Number(word) > 2 ** 31 - 1) {
      throw new Error(`"${word}" is not a bug number`);
    }
    if (!bugs.includes(Number(word))) bugs.push(Number(word));
  }
  return bugs;
}

const CLASSIFY = `mutation Classify($input: ClassifyJobsInput!) {
  classifyJobs(input: $input) { jobs { guid classification { ${CLASSIFICATION_FIELDS} } } }
}`;

/** The event `classifyJobs` sends on `window` with the jobs it classified (`{guid, classification}`). */
export const CLASSIFIED_EVENT = 'treeherd:classified';

/**
 * A sheriff's write: `mutation` with `input` (its `note` trimmed, left out when blank) and the
 * stored token. A refusal for want of a token (or of its scope) opens the header's token box
 * with the server's reason, and is thrown as well.
 */
async function sheriffWrite(mutation, { note = '', ...input }) {
  if (note.trim()) input.note = note.trim();
  try {
    return await gql(mutation, { input }, { token: token() });
  } catch (error) {
    if (error instanceof GraphQLError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) {
      askForToken(`${error.message}. Paste a token with the sheriff:REPO scope.`);
    }
    throw error;
  }
}

/**
 * Classifies `jobs` (guids), and tells the page (CLASSIFIED_EVENT) so what shows them
 * changes at once, subscription or not.
 */
export async function classifyJobs({ jobs, classification, bugs = [], note = '' }) {
  const data = await sheriffWrite(CLASSIFY, { jobs, classification, bugs, note });
  const classified = data.classifyJobs.jobs;
  window.dispatchEvent(new CustomEvent(CLASSIFIED_EVENT, { detail: classified }));
  return classified;
}

const CLASSIFY_LINE = `mutation ClassifyLine($input: ClassifyFailureLineInput!) {
  classifyFailureLine(input: $input) { classification { ${CLASSIFICATION_FIELDS} } }
}`;

/**
 * Classifies one failure line (`log`, `position`) of the job `job`: the line shows it and the
 * autoclassifier counts it; the job's own classification stays.
 */
export async function classifyFailureLine({ job, log, position, classification, bugs = [], note = '' }) {
  const data = await sheriffWrite(CLASSIFY_LINE, { job, log, position, classification, bugs, note });
  return data.classifyFailureLine.classification;
}

const CLASSIFY_TEST = `mutation ClassifyTest($input: ClassifyTestInput!) {
  classifyTest(input: $input) { classification { ${CLASSIFICATION_FIELDS} } }
}`;

/**
 * Classifies one failed test (`test`, `subtest`) of the job `job`: its result shows it; the
 * job's own classification stays.
 */
export async function classifyTest({ job, test, subtest = null, classification, bugs = [], note = '' }) {
  const data = await sheriffWrite(CLASSIFY_TEST, { job, test, subtest, classification, bugs, note });
  return data.classifyTest.classification;
}

/**
 * The sheriffing cell of a failed test result: its decision, and (`classifiable`) a button
 * that classifies it as the job's form says.
 */
export function testClassificationHtml(result, classifiable) {
  const shown = result.classification
    ? `<span class="test-cls">${classificationHtml(result.classification)}</span>`
    : '';
  const button = classifiable
    ? ` <button type="button" class="classify-test" data-test="${esc(result.test)}" data-subtest="${esc(result.subtest || '')}" title="classify only this test, as the form above says">this test ✓</button>`
    : '';
  return shown + button;
}

/** A bug as a link: to Bugzilla when the server knows its address, else to its failures here. */
export function bugLink(id, url) {
  const target = url && safeUrl(url) !== '#' ? url : href('intermittents', { bug: id });
  const external = target === url;
  return `<a class="bug" href="${esc(target)}"${external ? ' target="_blank" rel="noopener"' : ''} data-bug="${esc(id)}">Bug ${esc(id)}</a>`;
}

/** One classification: its name, bugs, who and when, automatic or not, and its note. */
export function classificationHtml(c, urls = new Map()) {
  const bugs = c.bugs.length ? ` · ${c.bugs.map((b) => bugLink(b, urls.get(b))).join(', ')}` : '';
  const auto = c.automatic ? ' <span class="auto" title="made by the autoclassifier">auto</span>' : '';
  const note = c.note ? `<q class="note">${esc(c.note)}</q>` : '';
  return `<span class="cls c-${esc(c.classification.toLowerCase())}">${esc(classificationName(c.classification))}</span>${auto}${bugs}
 <span class="by">by ${esc(c.who)} ${timeAgo(c.at)}</span> ${note}`;
}

/** The bug addresses the suggestions know, by id. */
function bugUrls(lines) {
  const urls = new Map();
  for (const line of lines || []) {
    if (!line.suggestions) continue;
    for (const bug of [...line.suggestions.openRecent, ...line.suggestions.allOthers]) {
      if (bug.url) urls.set(bug.id, bug.url);
    }
  }
  return urls;
}

function suggestionHtml(bug, classifiable, line) {
  const closed = bug.resolution ? ` <span class="resolution">${esc(bug.status.toLowerCase())} ${esc(bug.resolution.toLowerCase())}</span>` : '';
  let use = classifiable
    ? `<button type="button" class="use-bug" data-bug="${esc(bug.id)}" title="classify this job intermittent with bug ${esc(bug.id)}">intermittent ✓</button> `
    : '';
  if (classifiable && classifiable.lines && line) {
    use += `<button type="button" class="use-bug-line" data-bug="${esc(bug.id)}" data-log="${esc(line.log)}" data-position="${esc(line.position)}" title="classify only this line intermittent with bug ${esc(bug.id)}">this line ✓</button> `;
  }
  return `<li class="suggestion" data-bug="${esc(bug.id)}">${use}${bugLink(bug.id, bug.url)} <span class="summary-text">${esc(bug.summary)}</span>${closed}</li>`;
}

function termsHtml(search) {
  const terms = search.searchTerms.filter((t) => t !== null && t !== '');
  const chips = terms.map((t) => `<code class="term">${esc(t)}</code>`).join(' ');
  const crash = search.crashSignature ? ` <span class="crash">crash <code>${esc(search.crashSignature)}</code></span>` : '';
  return `<p class="terms"><span class="label">search terms</span> ${chips || '<span class="none">none</span>'}${crash}</p>`;
}

function sameDecision(a, b) {
  return !!a && !!b && a.classification === b.classification && a.who === b.who && a.at === b.at
    && a.bugs.join() === b.bugs.join();
}

function failureLineHtml(line, job, classifiable, urls) {
  // A server without suggestions on failure lines shows the lines alone.
  const { openRecent, allOthers } = line.suggestions || { openRecent: [], allOthers: [] };
  let open = '';
  if (line.suggestions) {
    open = openRecent.length
      ? `<ul class="suggestions open-recent">${openRecent.map((b) => suggestionHtml(b, classifiable, line)).join('')}</ul>`
      : '<p class="none">no open bug matches</p>';
  }
  const others = allOthers.length
    ? `<details class="other-bugs"><summary>${allOthers.length} other bug${allOthers.length === 1 ? '' : 's'} (resolved)</summary><ul class="suggestions all-others">${allOthers.map((b) => suggestionHtml(b, classifiable, line)).join('')}</ul></details>`
    : '';
  // A line's own decision, unless it is the job's (which applies to each of its lines).
  const cls = line.classification && !sameDecision(line.classification, job.classification)
    ? `<p class="line-cls">${classificationHtml(line.classification, urls)}</p>`
    : '';
  return `<li class="failure-line" data-line="${line.lineNumber}">
<p class="fl-text"><a class="ln" href="${esc(logViewHref(job.guid, line.log, line.lineNumber))}" title="open ${esc(line.log)} at line ${line.lineNumber + 1}">${line.lineNumber + 1}</a> <code>${esc(line.line)}</code></p>
${line.search ? termsHtml(line.search) : ''}${cls}${open}${others}</li>`;
}

function formHtml(job) {
  const options = CLASSIFICATIONS
    .filter(([value]) => value !== 'AUTOCLASSIFIED_INTERMITTENT')
    .map(([value, name]) => `<option value="${value}"${value === DEFAULT_CLASSIFICATION ? ' selected' : ''}>${esc(name)}</option>`)
    .join('');
  const current = job.classification;
  const bugs = current && !isOpen(current) ? current.bugs.join(', ') : '';
  return `<form class="classify-form" aria-label="classify this job">
<label>Classification <select name="classification">${options}</select></label>
<label>Bugs <input name="bugs" value="${esc(bugs)}" placeholder="1234567, 2345678" inputmode="numeric" autocomplete="off"></label>
<label class="grow">Note <input name="note" placeholder="why (optional)" autocomplete="off"></label>
<button type="submit">Classify</button>
</form>`;
}

/**
 * The job's "Failure summary" section, or '' when there is nothing to say (a job that did
 * not fail and was never classified, or a server without the sheriffing fields).
 */
export function sheriffHtml(job, features) {
  const failed = FAILED.has(statusOf(job));
  const history = job.classificationHistory || [];
  if (!failed && !history.length) return '';
  if (!features.classification && !features.failureLines) return '';
  const lines = job.failureLines || [];
  const urls = bugUrls(lines);
  // Truthy when the job can be classified; `.lines` when its lines can be too.
  const classifiable = failed && features.classify && { lines: features.classifyLine };
  const parts = ['<section class="sheriff" aria-label="failure summary"><h3>Failure summary</h3>'];
  if (features.classification) {
    parts.push(`<p class="current-cls">${job.classification ? classificationHtml(job.classification, urls) : '<span class="cls c-not_classified">not classified</span>'}</p>`);
    if (history.length > 1) {
      parts.push(`<details class="cls-history"><summary>history (${history.length})</summary><ol>${history.map((c) => `<li>${classificationHtml(c, urls)}</li>`).join('')}</ol></details>`);
    }
  }
  if (classifiable) {
    const repo = job.repository.name;
    const hint = maySheriff(token(), repo)
      ? ''
      : `<p class="token-hint">Classifying needs a token with the <code>sheriff:${esc(repo)}</code> scope: paste one in the header's “token” box.</p>`;
    parts.push(formHtml(job), hint, '<p class="classify-status" role="status"></p>');
  }
  if (features.failureLines && failed) {
    parts.push(lines.length
      ? `<ol class="failure-lines">${lines.map((l) => failureLineHtml(l, job, classifiable, urls)).join('')}</ol>`
      : '<p class="none">no failure lines (the log is not parsed, or has no error line)</p>');
  }
  parts.push('</section>');
  return parts.join('');
}

/**
 * Answers the section's clicks and form in `panel`: a suggested bug's button classifies the
 * job intermittent with that bug, the form classifies as it says. `job()` is the job shown;
 * `done()` runs after a classification was saved. Returns `unbind()`, and `redraw()` that
 * says the last outcome again once the detail is drawn anew (for the same job).
 */
export function bindSheriff(panel, { job, done }) {
  let said = null;
  const show = () => {
    const status = panel.querySelector('.classify-status');
    const shown = job();
    if (!status || !said || !shown || said.guid !== shown.guid) return;
    status.textContent = said.text;
    status.classList.toggle('error', said.failed);
  };
  const say = (text, failed = false) => {
    const shown = job();
    said = shown ? { guid: shown.guid, text, failed } : null;
    show();
  };
  /** Saves with `write(guid)` for the job shown, `button` disabled meanwhile; says `outcome` once saved. */
  const save = async (write, outcome, button) => {
    const shown = job();
    if (!shown) return;
    if (button) button.disabled = true;
    say('saving…');
    try {
      await write(shown.guid);
      say(outcome);
      if (done) done();
    } catch (error) {
      say(error.message, true);
    } finally {
      if (button) button.disabled = false;
    }
  };
  const run = (input, button) => save(async (guid) => {
    await classifyJobs({ jobs: [guid], ...input });
    const form = panel.querySelector('form.classify-form');
    if (form) delete form.dataset.typed;
  }, `classified ${classificationName(input.classification)}${input.bugs.length ? ` with bug ${input.bugs.join(', ')}` : ''}`, button);
  const runLine = (use) => {
    const bug = Number(use.dataset.bug);
    const position = Number(use.dataset.position);
    return save((guid) => classifyFailureLine({
      job: guid, log: use.dataset.log, position, classification: 'INTERMITTENT', bugs: [bug],
    }), `classified line ${position + 1} intermittent with bug ${bug}`, use);
  };
  /** The job's form as a decision, or null (said) when its bugs do not read. */
  const formDecision = () => {
    const form = panel.querySelector('form.classify-form');
    if (!form) return null;
    try {
      const bugs = parseBugs(form.elements.bugs.value);
      return { classification: form.elements.classification.value, bugs, note: form.elements.note.value };
    } catch (error) {
      say(error.message, true);
      form.elements.bugs.focus();
      return null;
    }
  };
  const runTest = (use) => {
    const decision = formDecision();
    if (!decision) return;
    const { test, subtest } = use.dataset;
    return save((guid) => classifyTest({ job: guid, test, subtest: subtest || null, ...decision }),
      `classified test ${test}${subtest ? ` › ${subtest}` : ''} ${classificationName(decision.classification)}`, use);
  };
  const onClick = (event) => {
    const test = event.target.closest('button.classify-test');
    if (test && panel.contains(test)) {
      runTest(test);
      return;
    }
    const line = event.target.closest('button.use-bug-line');
    if (line && panel.contains(line)) {
      runLine(line);
      return;
    }
    const use = event.target.closest('button.use-bug');
    if (!use || !panel.contains(use)) return;
    run({ classification: 'INTERMITTENT', bugs: [Number(use.dataset.bug)], note: '' }, use);
  };
  const onSubmit = (event) => {
    const form = event.target.closest('form.classify-form');
    if (!form) return;
    event.preventDefault();
    const decision = formDecision();
    if (decision) run(decision, form.querySelector('button[type=submit]'));
  };
  const onInput = (event) => {
    const form = event.target.closest('form.classify-form');
    if (form) form.dataset.typed = 'yes';
  };
  panel.addEventListener('click', onClick);
  panel.addEventListener('submit', onSubmit);
  panel.addEventListener('input', onInput);
  return {
    unbind() {
      panel.removeEventListener('click', onClick);
      panel.removeEventListener('submit', onSubmit);
      panel.removeEventListener('input', onInput);
    },
    redraw: show,
  };
}

// Which parts of the sheriffing API (classifications, failure lines, bug suggestions, the
// intermittent failures view) the server answers, asked once per page by introspection. A
// server that has not got them yet still serves every other view: the queries leave the
// fields out, and the sheriffing controls say what is missing instead of failing.

import { gql } from './graphql.js';

const FEATURES_QUERY = `query Features {
  job: __type(name: "Job") { fields { name } }
  pushStatus: __type(name: "PushStatus") { fields { name } }
  jobFilter: __type(name: "JobFilter") { inputFields { name } }
  query: __type(name: "Query") { fields { name } }
  mutation: __type(name: "Mutation") { fields { name } }
  subscription: __type(name: "Subscription") { fields { name } }
  failureLine: __type(name: "FailureLine") { fields { name } }
  bugFailures: __type(name: "BugFailures") { fields { name } }
  testResult: __type(name: "TestResult") { fields { name } }
}`;

/** What the UI asks of the server, and what it does when a part is there. */
export const NONE = Object.freeze({
  classification: false, // Job.classification and classificationHistory
  failureLines: false, // Job.failureLines
  lineSearch: false, // FailureLine.search (the search terms of a line)
  lineSuggestions: false, // FailureLine.suggestions (the bugs they find)
  unclassifiedCount: false, // PushStatus.unclassifiedFailures
  unclassifiedFilter: false, // JobFilter.unclassifiedFailure
  classify: false, // Mutation.classifyJobs
  classifyLine: false, // Mutation.classifyFailureLine
  classifyTest: false, // Mutation.classifyTest and TestResult.classification
  live: false, // Subscription.classificationChanged
  intermittents: false, // Query.intermittentFailures
  bugOfFailures: false, // BugFailures.bug (else Query.bug, when there is one)
  bug: false, // Query.bug
});

function names(type, key = 'fields') {
  return new Set(((type && type[key]) || []).map((f) => f.name));
}

/** The features of an introspection answer. */
export function featuresOf(data) {
  const job = names(data.job);
  const line = names(data.failureLine);
  const query = names(data.query);
  return Object.freeze({
    classification: job.has('classification') && job.has('classificationHistory'),
    failureLines: job.has('failureLines'),
    lineSearch: line.has('search'),
    lineSuggestions: line.has('suggestions'),
    unclassifiedCount: names(data.pushStatus).has('unclassifiedFailures'),
    unclassifiedFilter: names(data.jobFilter, 'inputFields').has('unclassifiedFailure'),
    classify: names(data.mutation).has('classifyJobs'),
    classifyLine: names(data.mutation).has('classifyFailureLine'),
    classifyTest: names(data.mutation).has('classifyTest') && names(data.testResult).has('classification'),
    live: names(data.subscription).has('classificationChanged'),
    intermittents: query.has('intermittentFailures'),
    bugOfFailures: names(data.bugFailures).has('bug'),
    bug: query.has('bug'),
  });
}

let asked = null;
let known = NONE;

/**
 * The server's features, asked once (the first caller starts the request, the others share
 * it). When the question itself fails, none (asked again next time): the views then ask for
 * what they always did.
 */
export function features() {
  if (!asked) {
    asked = gql(FEATURES_QUERY).then((data) => {
      known = featuresOf(data);
      return known;
    }, (error) => {
      console.warn('cannot ask the server what it supports', error);
      asked = null;
      return NONE;
    });
  }
  return asked;
}

/** The features as last answered (NONE before): app.js asks before it mounts a view. */
export function featuresKnown() {
  return known;
}

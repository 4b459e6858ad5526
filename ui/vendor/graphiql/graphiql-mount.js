// treeherd's own code (not vendored): mounts GraphiQL (the `GraphiQL`, `React` and `ReactDOM`
// globals of the UMD files loaded before it by graphiql.html) against this server's /graphql.
// Queries and mutations go over HTTP POST; subscriptions over WebSocket with
// graphql-transport-ws (the graphql-ws client inside GraphiQL's bundle), on the same origin.
// Headers typed in GraphiQL's header editor (e.g. `{"Authorization": "Bearer <token>"}`) go
// with every request, and as connection parameters of a subscription.
(function mount() {
  'use strict';
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const fetcher = window.GraphiQL.createFetcher({
    url: `${window.location.origin}/graphql`,
    subscriptionUrl: `${scheme}//${window.location.host}/graphql`,
    // treeherd answers plain JSON (no @defer/@stream): no multipart parsing needed.
    enableIncrementalDelivery: false,
  });
  const defaultQuery = [
    "# treeherd's GraphQL API. Ctrl-Enter runs the query;",
    '# the Docs panel (top left) lists every type and field.',
    '{',
    '  repositories {',
    '    name',
    '  }',
    '}',
    '',
  ].join('\n');
  const root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(window.React.createElement(window.GraphiQL, { fetcher, defaultQuery }));
})();

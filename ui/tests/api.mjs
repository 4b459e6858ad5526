// The GraphQL client the UI's tests and bench make their data with: one POST per call, the
// admin token of TREEHERD_TOKEN, and the first error thrown with its code.

/** A function `api(query, variables)` that answers `data` from `base`'s /graphql. */
export function graphqlClient(base, token) {
  return async function api(query, variables = {}) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) {
      const [e] = body.errors;
      throw new Error(`${e.message} (${e.extensions && e.extensions.code})`);
    }
    return body.data;
  };
}

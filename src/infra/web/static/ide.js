// The GraphQL IDE (GraphiQL from the server's own npm packages). Queries and mutations
// go over HTTP with the headers of the Headers tab; subscriptions over graphql-ws on the
// same URL, with the same Authorization sent as connectionParams (a socket has no headers).
/* global React, ReactDOM, GraphiQL, graphqlWs */
(() => {
  const url = new URL('/graphql', window.location.href).href;
  const wsUrl = url.replace(/^http/, 'ws');

  /** One fetcher, and so one socket, per Authorization value: pasting a token opens a socket with it. */
  const fetchers = new Map();
  const fetcherFor = (authorization) => {
    let fetcher = fetchers.get(authorization);
    if (!fetcher) {
      const wsClient = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        // A refused token (4403) or a dropped socket ends the run at once: press run again.
        retryAttempts: 0,
        connectionParams: authorization ? { authorization } : {},
      });
      fetcher = GraphiQL.createFetcher({ url, wsClient });
      fetchers.set(authorization, fetcher);
    }
    return fetcher;
  };
  const authorizationOf = (headers) => {
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (name.toLowerCase() === 'authorization' && value) return String(value);
    }
    return '';
  };
  const fetcher = (params, options) => fetcherFor(authorizationOf(options?.headers))(params, options);

  const defaultQuery = `# The reservation server's GraphQL IDE.
#
# Catalog and availability reads need no token.
# For the rest, paste one in Headers below:
#   { "Authorization": "Bearer <token>" }
# (npm run token -- --role admin mints one).
# Subscriptions (availabilityChanged,
# seatsChanged) run over graphql-ws here too.

query Hotels {
  hotels(first: 5) {
    edges { node { id name city roomTypes { id name } } }
  }
}
`;

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      defaultHeaders: '{}',
      isHeadersEditorEnabled: true,
      // Tokens are not written to localStorage.
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();

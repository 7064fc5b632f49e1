// The fan-out ceiling's server (bench/fanout.ts, `startBareFanout`): a bare WebSocket
// server on `ws` speaking just enough of graphql-ws's protocol (graphql-transport-ws) for
// the bench's clients, and POST /publish, which sends its JSON body to every subscription
// as graphql-ws would send an event: one `next` message per subscription, stringified
// for each. No GraphQL, no database, no Redis: what is left is the cost of writing to
// thousands of sockets and of the clients reading them, on this machine.
import http from 'node:http';
import process from 'node:process';
import { WebSocketServer } from 'ws';

/** Each socket's subscription ids. */
const subscriptions = new Map();

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const payload = { data: { availabilityChanged: JSON.parse(body) } };
    for (const [socket, ids] of subscriptions) {
      for (const id of ids) socket.send(JSON.stringify({ id, type: 'next', payload }));
    }
    res.writeHead(204).end();
  });
});

const wss = new WebSocketServer({
  server,
  path: '/graphql',
  handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
});
wss.on('connection', (socket) => {
  const ids = new Set();
  subscriptions.set(socket, ids);
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
    else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    else if (message.type === 'subscribe') ids.add(message.id);
    else if (message.type === 'complete') ids.delete(message.id);
  });
  socket.on('close', () => subscriptions.delete(socket));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/graphql` })}\n`);
});
process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
});

'use strict';
// Preloaded with NODE_OPTIONS=--require=/opt/ethereumjs/bind-host.cjs.
//
// @ethereumjs/client 0.10.5 binds its RLPx listener (TCP) and its discovery socket (UDP) to
// the wildcard address 0.0.0.0, with no option to change it; only --extIP (what the enode
// advertises) and --rpcAddr are configurable. With network_mode host that opens the p2p port on
// every interface of the host. When POA_BIND_HOST is set, this replaces the wildcard address in
// net.Server#listen and dgram.Socket#bind calls by that address, so the node listens on its own
// (loopback) address only. Calls that name a specific address are left alone.
const net = require('node:net');
const dgram = require('node:dgram');

const bindHost = process.env.POA_BIND_HOST;
const WILDCARDS = new Set(['0.0.0.0', '::']);

function rewrite(args, key) {
  // (port, host, ...) or ({port, host|address, ...}, ...)
  if (args.length >= 2 && typeof args[1] === 'string' && WILDCARDS.has(args[1])) {
    const out = args.slice();
    out[1] = bindHost;
    return out;
  }
  if (args.length >= 1 && args[0] !== null && typeof args[0] === 'object' &&
      typeof args[0][key] === 'string' && WILDCARDS.has(args[0][key])) {
    const out = args.slice();
    out[0] = { ...args[0], [key]: bindHost };
    return out;
  }
  return args;
}

if (bindHost) {
  if (net.isIP(bindHost) === 0) {
    throw new Error(`POA_BIND_HOST must be an IP address, not '${bindHost}'`);
  }
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function poaListen(...args) {
    return listen.apply(this, rewrite(args, 'host'));
  };
  const bind = dgram.Socket.prototype.bind;
  dgram.Socket.prototype.bind = function poaBind(...args) {
    return bind.apply(this, rewrite(args, 'address'));
  };
}

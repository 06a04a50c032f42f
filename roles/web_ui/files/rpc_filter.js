// JSON-RPC method filter for nginx's njs module (Debian: libnginx-mod-http-js).
// Written here because neither nginx nor njs has a JSON-RPC allow-list of its own. A request
// (or every call of a batch) passes only when its method reads the chain, or is
// eth_sendRawTransaction (a transaction the browser signed itself). Anything else, such as
// eth_sendTransaction on a node whose signer is unlocked, gets a JSON-RPC error and never
// reaches the node. The location sets $rpc_upstream to the internal location that proxies it.

var ALLOWED = {
    eth_blockNumber: 1, eth_call: 1, eth_chainId: 1, eth_estimateGas: 1, eth_feeHistory: 1,
    eth_gasPrice: 1, eth_getBalance: 1, eth_getBlockByHash: 1, eth_getBlockByNumber: 1,
    eth_getBlockReceipts: 1, eth_getBlockTransactionCountByHash: 1,
    eth_getBlockTransactionCountByNumber: 1, eth_getCode: 1, eth_getLogs: 1, eth_getProof: 1,
    eth_getStorageAt: 1, eth_getTransactionByBlockHashAndIndex: 1,
    eth_getTransactionByBlockNumberAndIndex: 1, eth_getTransactionByHash: 1,
    eth_getTransactionCount: 1, eth_getTransactionReceipt: 1, eth_getUncleCountByBlockHash: 1,
    eth_getUncleCountByBlockNumber: 1, eth_maxPriorityFeePerGas: 1, eth_protocolVersion: 1,
    eth_syncing: 1, eth_newFilter: 1, eth_newBlockFilter: 1, eth_getFilterChanges: 1,
    eth_getFilterLogs: 1, eth_uninstallFilter: 1,
    eth_sendRawTransaction: 1,
    net_version: 1, net_listening: 1, net_peerCount: 1, web3_clientVersion: 1,
    clique_getSigner: 1, clique_getSigners: 1, clique_getSnapshot: 1, clique_status: 1
};

function error(id, code, message) {
    return {jsonrpc: '2.0', id: id === undefined ? null : id, error: {code: code, message: message}};
}

// The error for one call, or null when it may pass.
function refusal(call) {
    if (call === null || typeof call !== 'object' || Array.isArray(call) || typeof call.method !== 'string') {
        return error(call && call.id, -32600, 'invalid request: a JSON-RPC call is an object with a method');
    }
    if (!Object.prototype.hasOwnProperty.call(ALLOWED, call.method)) {
        return error(call.id, -32601, 'method ' + call.method + ' is not allowed here: this endpoint passes '
            + 'read-only methods and eth_sendRawTransaction');
    }
    return null;
}

function reply(r, status, doc) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, typeof doc === 'string' ? doc : JSON.stringify(doc));
}

function filter(r) {
    if (r.method !== 'POST') {
        reply(r, 405, error(null, -32600, 'JSON-RPC is POST only'));
        return;
    }
    var body;
    try {
        body = JSON.parse(r.requestText || '');
    } catch (e) {
        reply(r, 400, error(null, -32700, 'parse error: the body is not JSON (or it is larger than the proxy takes)'));
        return;
    }
    var calls = Array.isArray(body) ? body : [body];
    if (calls.length === 0) {
        reply(r, 400, error(null, -32600, 'invalid request: an empty batch'));
        return;
    }
    var refused = calls.map(refusal);
    if (refused.some(function (x) { return x !== null; })) {
        // One refused call refuses the whole batch: the node never sees part of it.
        var answers = calls.map(function (call, i) {
            return refused[i] || error(call.id, -32600, 'not sent: another call of this batch is not allowed');
        });
        reply(r, 200, Array.isArray(body) ? answers : answers[0]);
        return;
    }
    r.subrequest(r.variables.rpc_upstream, {method: 'POST', body: r.requestText}, function (answer) {
        reply(r, answer.status, answer.responseText);
    });
}

export default {filter};

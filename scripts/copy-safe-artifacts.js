// SPDX-License-Identifier: GPL-3.0-or-later
// Copy the three Safe 1.4.1 artifacts the collection deploys (SafeL2, SafeProxyFactory,
// SafeProxy) from node_modules into contracts/artifacts/safe/<Name>.json, keeping only what a
// deployment needs: contractName, abi, bytecode, deployedBytecode, plus where they came from.
// node_modules is left out of the Galaxy tarball, so the collection ships these copies.
//
//   node scripts/copy-safe-artifacts.js           write the copies
//   node scripts/copy-safe-artifacts.js --check   exit 1 listing every copy that differs from
//                                                 (or is missing in) the work tree
//
// The output is deterministic (sorted keys, two-space indent, trailing newline).
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const PACKAGE = '@safe-global/safe-contracts';
const PACKAGE_DIR = path.join(ROOT, 'node_modules', ...PACKAGE.split('/'));
const BUILD_DIR = path.join(PACKAGE_DIR, 'build', 'artifacts', 'contracts');
const TARGET_DIR = path.join(ROOT, 'contracts', 'artifacts', 'safe');
// SafeL2 rather than Safe: our chains have no indexer, and SafeL2's events put every
// execution in the logs.
const CONTRACTS = {
  SafeL2: 'SafeL2.sol/SafeL2.json',
  SafeProxyFactory: 'proxies/SafeProxyFactory.sol/SafeProxyFactory.json',
  SafeProxy: 'proxies/SafeProxy.sol/SafeProxy.json',
};
// package.json pins the package exactly; refuse to copy from anything else.
const PINNED = require(path.join(ROOT, 'package.json')).dependencies[PACKAGE];

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.keys(value).sort().reduce((out, key) => { out[key] = sortKeys(value[key]); return out; }, {});
  }
  return value;
}

function build() {
  const installed = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
  if (installed.version !== PINNED) {
    throw new Error(`${PACKAGE} ${installed.version} is not the pinned ${PINNED}: run npm ci`);
  }
  // package.json says "LGPL-3.0", a deprecated SPDX id; the sources' own headers say
  // LGPL-3.0-only, which is what it means, so the copies carry that.
  const license = installed.license === 'LGPL-3.0' ? 'LGPL-3.0-only' : installed.license;
  const out = {};
  for (const [name, rel] of Object.entries(CONTRACTS)) {
    const source = JSON.parse(fs.readFileSync(path.join(BUILD_DIR, rel), 'utf8'));
    if (source.contractName !== name) throw new Error(`${rel} holds ${source.contractName}, not ${name}`);
    for (const key of ['abi', 'bytecode', 'deployedBytecode']) {
      if (!source[key] || (key !== 'abi' && source[key].length < 4)) throw new Error(`${rel} has no ${key}`);
    }
    const artifact = sortKeys({
      contractName: name,
      abi: source.abi,
      bytecode: source.bytecode,
      deployedBytecode: source.deployedBytecode,
      source: `${PACKAGE}@${installed.version} (${license})`,
    });
    out[`${name}.json`] = JSON.stringify(artifact, null, 2) + '\n';
  }
  return out;
}

function main() {
  const check = process.argv.includes('--check');
  const artifacts = build();
  if (check) {
    const differing = Object.keys(artifacts).filter((file) => {
      const target = path.join(TARGET_DIR, file);
      return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== artifacts[file];
    });
    if (fs.existsSync(TARGET_DIR)) {
      for (const file of fs.readdirSync(TARGET_DIR).sort()) {
        if (file.endsWith('.json') && !(file in artifacts)) differing.push(file);
      }
    }
    if (differing.length) {
      process.stderr.write('Safe artifacts differ from node_modules (run node scripts/copy-safe-artifacts.js):\n');
      for (const file of differing) process.stderr.write(`  contracts/artifacts/safe/${file}\n`);
      process.exit(1);
    }
    process.stdout.write(`${Object.keys(artifacts).length} Safe artifacts match ${PACKAGE}@${PINNED}\n`);
    return;
  }
  fs.mkdirSync(TARGET_DIR, { recursive: true });
  for (const [file, text] of Object.entries(artifacts)) {
    fs.writeFileSync(path.join(TARGET_DIR, file), text);
    process.stdout.write(`wrote contracts/artifacts/safe/${file}\n`);
  }
}

try {
  main();
} catch (err) {
  process.stderr.write(`copy-safe-artifacts: ${err.message}\n`);
  process.exit(2);
}

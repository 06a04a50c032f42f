// Compile contracts/bridge/*.sol and contracts/governance/*.sol with the pinned solc-js and write
// the deployable contracts' artifacts to contracts/artifacts/<Name>.json.
//
//   node scripts/build-contracts.js           write the artifacts
//   node scripts/build-contracts.js --check   compile in memory; exit 1 listing every artifact
//                                             that differs from (or is missing in) the work tree
//
// The output is deterministic (sorted keys, fixed settings, no absolute paths in the sources'
// names), so a rebuild of committed artifacts compares byte for byte. Each folder is its own
// compilation, so a change in one folder never changes the bytes of another folder's artifacts.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const ROOT = path.resolve(__dirname, '..');
const ARTIFACT_DIR = path.join(ROOT, 'contracts', 'artifacts');
const NODE_MODULES = path.join(ROOT, 'node_modules');
// Per source folder, its deployable contracts only; libraries and abstract bases are compiled in
// but get no artifact. contracts/governance holds the Aura system contracts (docs/governance.md).
const FOLDERS = {
  bridge: ['BridgeValidators', 'ForeignBridge', 'HomeBridge'],
  governance: ['NodePermission', 'TxPermission', 'ValidatorSet'],
};
// The home chain is Clique geth 1.13, which does not run Shanghai: no PUSH0; the Aura chains are
// specified without Shanghai too.
const EVM_VERSION = 'paris';
const OPTIMIZER = { enabled: true, runs: 200 };
// package.json pins solc exactly; refuse to build with anything else.
const PINNED = require(path.join(ROOT, 'package.json')).dependencies.solc;

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.keys(value).sort().reduce((out, key) => { out[key] = sortKeys(value[key]); return out; }, {});
  }
  return value;
}

function findImport(importPath) {
  // Our own sources are given in full; anything else (@openzeppelin/...) comes from node_modules.
  const file = path.join(NODE_MODULES, importPath);
  if (!path.resolve(file).startsWith(NODE_MODULES + path.sep) || !fs.existsSync(file)) {
    return { error: `import not found: ${importPath}` };
  }
  return { contents: fs.readFileSync(file, 'utf8') };
}

function compileFolder(folder, deployable, version) {
  const sourceDir = path.join(ROOT, 'contracts', folder);
  const sources = {};
  for (const name of fs.readdirSync(sourceDir).filter((f) => f.endsWith('.sol')).sort()) {
    // Relative source names keep the metadata hash independent of where the repo is checked out.
    sources[`contracts/${folder}/${name}`] = { content: fs.readFileSync(path.join(sourceDir, name), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: OPTIMIZER,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const problems = output.errors || [];
  for (const problem of problems) {
    if (problem.severity === 'error') {
      process.stderr.write(problem.formattedMessage + '\n');
    } else {
      // One line per warning; the full text repeats the source around it.
      const at = /-->\s*(\S+?):?\s/.exec(problem.formattedMessage || '');
      const where = at ? `${at[1]}: ` : '';
      process.stderr.write(`${problem.severity}: ${where}${problem.message}\n`);
    }
  }
  if (problems.some((p) => p.severity === 'error')) throw new Error('compilation failed');

  const artifacts = {};
  for (const name of deployable) {
    const contract = (output.contracts[`contracts/${folder}/${name}.sol`] || {})[name];
    if (!contract) throw new Error(`no contract ${name} in contracts/${folder}/${name}.sol`);
    const artifact = sortKeys({
      contractName: name,
      abi: contract.abi,
      bytecode: '0x' + contract.evm.bytecode.object,
      deployedBytecode: '0x' + contract.evm.deployedBytecode.object,
      compiler: { version, evmVersion: EVM_VERSION, optimizer: OPTIMIZER },
    });
    artifacts[`${name}.json`] = JSON.stringify(artifact, null, 2) + '\n';
  }
  return artifacts;
}

function compile() {
  const version = solc.version();
  if (!version.startsWith(PINNED + '+')) {
    throw new Error(`solc ${version} is not the pinned ${PINNED}: run npm ci`);
  }
  const artifacts = {};
  for (const [folder, deployable] of Object.entries(FOLDERS)) {
    for (const [file, text] of Object.entries(compileFolder(folder, deployable, version))) {
      if (file in artifacts) throw new Error(`two folders define ${file.replace(/\.json$/, '')}`);
      artifacts[file] = text;
    }
  }
  return artifacts;
}

function main() {
  const check = process.argv.includes('--check');
  const artifacts = compile();
  if (check) {
    const differing = Object.keys(artifacts).filter((file) => {
      const target = path.join(ARTIFACT_DIR, file);
      return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== artifacts[file];
    });
    // An artifact the build no longer produces is stale too.
    if (fs.existsSync(ARTIFACT_DIR)) {
      for (const file of fs.readdirSync(ARTIFACT_DIR).sort()) {
        if (file.endsWith('.json') && !(file in artifacts)) differing.push(file);
      }
    }
    if (differing.length) {
      process.stderr.write('artifacts differ from a rebuild (run node scripts/build-contracts.js):\n');
      for (const file of differing) process.stderr.write(`  contracts/artifacts/${file}\n`);
      process.exit(1);
    }
    process.stdout.write(`${Object.keys(artifacts).length} artifacts match a rebuild\n`);
    return;
  }
  fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
  for (const [file, text] of Object.entries(artifacts)) {
    fs.writeFileSync(path.join(ARTIFACT_DIR, file), text);
    process.stdout.write(`wrote contracts/artifacts/${file}\n`);
  }
}

try {
  main();
} catch (err) {
  process.stderr.write(`build-contracts: ${err.message}\n`);
  process.exit(2);
}

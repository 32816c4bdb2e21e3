// Compiles the contracts with the pinned solc (standard JSON, optimizer on, 200 runs) and writes
// each of our contracts' ABI, creation bytecode and runtime bytecode to out/<Name>.json.
// Imports resolve against this folder, then node_modules (OpenZeppelin, solady). Usage: node scripts/build.js
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const root = path.resolve(__dirname, '..');
const sources = {};
for (const dir of ['src', 'test']) {
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.sol')) sources[child] = { content: fs.readFileSync(path.join(root, child), 'utf8') };
    }
  };
  if (fs.existsSync(path.join(root, dir))) walk(dir);
}
const findImports = (p) => {
  for (const base of [root, path.join(root, 'node_modules')]) {
    const file = path.join(base, p);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
  }
  return { error: `not found: ${p}` };
};
const compile = (group, evmVersion) => {
  const input = {
    language: 'Solidity',
    sources: group,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) console.error(e.formattedMessage);
  if (errors.length > 0) process.exit(1);
  return output.contracts;
};
// The OP Stack predeploys (src/op) must run on OP chains from Bedrock on, before Canyon brought
// Shanghai's PUSH0, so they are compiled for Paris; everything else targets Prague.
const isOp = (file) => file.startsWith(`src${path.sep}op${path.sep}`);
const pick = (keep) => Object.fromEntries(Object.entries(sources).filter(([file]) => keep(file)));
const compiled = {
  ...compile(pick((file) => !isOp(file)), 'prague'),
  ...compile(pick(isOp), 'paris'),
};
fs.mkdirSync(path.join(root, 'out'), { recursive: true });
for (const [file, contracts] of Object.entries(compiled)) {
  if (!(file in sources)) continue; // imported library code (OpenZeppelin) gets no artifact of its own
  for (const [name, contract] of Object.entries(contracts)) {
    const code = contract.evm.deployedBytecode.object;
    if (!code) continue; // interfaces and abstract contracts
    const artifact = {
      contract: name,
      source: file,
      compiler: solc.version(),
      abi: contract.abi,
      bytecode: '0x' + contract.evm.bytecode.object,
      runtimeBytecode: '0x' + code,
    };
    fs.writeFileSync(path.join(root, 'out', `${name}.json`), JSON.stringify(artifact, null, 2) + '\n');
    console.log(`out/${name}.json (${code.length / 2} bytes)`);
  }
}

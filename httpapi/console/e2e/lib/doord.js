// Starts a doord on the simulated board for a spec: a fresh data
// directory, 127.0.0.1:0, the example config (two doors, readers 1 and
// 2). The first-login password is read from what doord prints.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(fileURLToPath(import.meta.url), '../../../../..');

export async function startDoord({ dataDir, env = {} } = {}) {
  const bin = process.env.DOORD_BIN;
  if (!bin) throw new Error('DOORD_BIN is not set: run the specs through ./run (it builds doord)');
  const data = dataDir || mkdtempSync(join(tmpdir(), 'doord-e2e-'));
  const proc = spawn(bin, ['serve', '--config', join(repo, 'doord.example.toml'), '--listen', '127.0.0.1:0', '--data', data],
    { env: { ...process.env, DOORD_ADMIN_PASSWORD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('doord did not start in 120 s:\n' + out)), 120_000);
    const look = chunk => {
      out += chunk;
      const addr = /msg="doord started".* listen=(\S+)/.exec(out);
      const pw = /password:\n\n\s+(\S+)\n/.exec(out);
      if (addr && (pw || dataDir || env.DOORD_ADMIN_PASSWORD)) { clearTimeout(timer); ok({ addr: addr[1], password: pw?.[1] }); }
    };
    proc.stdout.on('data', look);
    proc.stderr.on('data', look);
    proc.on('exit', code => { clearTimeout(timer); fail(new Error(`doord exited (${code}):\n` + out)); });
  });
  const { addr, password } = await started;
  const url = 'http://' + addr;
  return {
    url, password, data,
    log: () => out,
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise(ok => proc.on('exit', ok));
        proc.kill('SIGTERM');
        await gone;
      }
      if (!dataDir) rmSync(data, { recursive: true, force: true });
    },
  };
}

// api calls the native API from the test (the simulated swipes, set-up).
export async function api(url, token, method, path, body) {
  const res = await fetch(url + '/api/v1' + path, {
    method,
    headers: { ...(token ? { Authorization: 'Bearer ' + token } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return json;
}

// login signs in over the API (a session of its own, beside the browser's).
export async function login(url, username, password) {
  return (await api(url, '', 'POST', '/session', { username, password })).token;
}

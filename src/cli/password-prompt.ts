import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * A password for the command line: typed twice at a terminal with nothing echoed, or the first line
 * of standard input when it is piped (`printf '%s\n' "$PW" | patchwork admin create …`), so it never
 * appears in the process list or shell history as an argument would.
 */
export async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const password = input.split(/\r?\n/)[0] ?? '';
    if (!password) throw new Error('No password on standard input: pipe one in, or run this at a terminal to be asked for it');
    return password;
  }
  const first = await ask('Password: ');
  const second = await ask('Password again: ');
  if (first !== second) throw new Error('The passwords do not match');
  return first;
}

function ask(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stdout.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

import type { Progress } from '../capabilities/indicators/bundled-data.ts';

/** A bar that redraws itself at a terminal, and plain lines anywhere else (logs, CI). */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  return (done, total, label) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    if (stream.isTTY) {
      const width = 20;
      const filled = Math.round((done / total) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label.padEnd(48)} ${seconds}s`);
      if (done === total) stream.write('\n');
    } else {
      stream.write(`${done}/${total} ${done === total ? 'done' : label} (${seconds}s)\n`);
    }
  };
}

/** Progress as log lines, at most one every ten seconds, for work done while the server runs. */
export function logProgress(log: { info(message: string): void }): Progress {
  let last = 0;
  return (done, total, label) => {
    if (Date.now() - last < 10_000 && done < total) return;
    last = Date.now();
    log.info(`bundled data ${done}/${total}: ${label}`);
  };
}

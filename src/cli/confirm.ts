// Asking before a destructive step, as Terraform's destroy asks: on a terminal only; the
// answer must be "yes" (or "y"). Ctrl-C or end of input is a no.
import { createInterface } from 'node:readline';

/** Whether there is a person to ask: stdin and stderr are a terminal. */
export const canAsk = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY);

export function confirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let answered = false;
    const done = (yes: boolean) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.on('SIGINT', () => {
      process.stderr.write('\n');
      done(false);
    });
    rl.on('close', () => done(false));
    rl.question(question, (answer) => done(/^(y|yes)$/i.test(answer.trim())));
  });
}

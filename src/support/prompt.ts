import { createInterface } from 'node:readline/promises';

/**
 * Ask a yes/no question on the terminal. Without a terminal (CI, pipes) nothing can be asked, so
 * the answer is no: commands that need a yes tell the user to pass --yes.
 */
export async function askYesNo(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** The `--at <figures>` option of the commands that compare runs (compare, ab): its parser. */
import { InvalidArgumentError } from 'commander';
import { FIGURES, type Figure } from './compare.js';

/** `p50,p99,throughput` -> the figures, each once, in the order given. */
export function parseFigures(value: string): Figure[] {
  const out: Figure[] = [];
  for (const part of value.split(',').map((s) => s.trim())) {
    const figure = FIGURES.find((f) => f === part);
    if (figure === undefined) throw new InvalidArgumentError(`expected a comma-separated list of ${FIGURES.join(', ')}.`);
    if (!out.includes(figure)) out.push(figure);
  }
  return out;
}

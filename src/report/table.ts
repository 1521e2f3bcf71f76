/**
 * Tables drawn a row at a time, so that each scenario's row can be printed
 * the moment it finishes: the column widths are fixed before the first row
 * (from what the scenarios can produce), the top and the header go out with
 * the first row, the bottom border at the end. Box-drawing characters on a
 * UTF-8 terminal, ASCII elsewhere, as cli-table3's compact style looks:
 *
 *     ┌───┬───────┐        +---+-------+
 *     │ # │ conns │        | # | conns |
 *     ├───┼───────┤        +---+-------+
 *     │ 1 │    10 │        | 1 |    10 |
 *     └───┴───────┘        +---+-------+
 *
 * A cell wider than its column widens its own row rather than being cut:
 * a figure is never truncated.
 */

/** Left, middle and right joints of one horizontal line, and its fill. */
type Line = readonly [left: string, mid: string, right: string, fill: string];

export interface Borders {
  top: Line;
  separator: Line;
  bottom: Line;
  /** The vertical bar between cells. */
  bar: string;
}

export const UNICODE_BORDERS: Borders = {
  top: ['┌', '┬', '┐', '─'],
  separator: ['├', '┼', '┤', '─'],
  bottom: ['└', '┴', '┘', '─'],
  bar: '│',
};

export const ASCII_BORDERS: Borders = {
  top: ['+', '+', '+', '-'],
  separator: ['+', '+', '+', '-'],
  bottom: ['+', '+', '+', '-'],
  bar: '|',
};

/**
 * Whether the terminal's character set is UTF-8, from the locale as the C
 * library would choose it: LC_ALL, else LC_CTYPE, else LANG; none set is the
 * C locale, which is ASCII.
 */
export function isUtf8Locale(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

/** The borders for this terminal: ASCII when asked (`--ascii`) or when the locale is not UTF-8. */
export function bordersFor(ascii: boolean, env: NodeJS.ProcessEnv = process.env): Borders {
  return ascii || !isUtf8Locale(env) ? ASCII_BORDERS : UNICODE_BORDERS;
}

/** Columns of fixed widths, right-aligned, drawn a piece at a time. */
export class Columns {
  readonly head: readonly string[];
  readonly widths: readonly number[];
  private readonly b: Borders;

  /** `widths` are the least widths of the cells (without padding); the header's own widths are added here. */
  constructor(head: readonly string[], widths: readonly number[], borders: Borders) {
    this.head = head;
    this.widths = head.map((h, i) => Math.max(h.length, widths[i] ?? 0));
    this.b = borders;
  }

  /** The top border, the header and the line under it. */
  top(): string {
    return [this.line(this.b.top), this.row(this.head), this.line(this.b.separator)].join('\n');
  }

  row(cells: readonly string[]): string {
    const bar = this.b.bar;
    return `${bar} ${cells.map((c, i) => c.padStart(this.widths[i])).join(` ${bar} `)} ${bar}`;
  }

  bottom(): string {
    return this.line(this.b.bottom);
  }

  private line([left, mid, right, fill]: Line): string {
    return left + this.widths.map((w) => fill.repeat(w + 2)).join(mid) + right;
  }
}

/** A whole table whose rows are all known: each column as wide as its widest cell. */
export function renderTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>, borders: Borders): string {
  const widths = head.map((_, i) => Math.max(0, ...rows.map((r) => r[i].length)));
  const t = new Columns(head, widths, borders);
  return [t.top(), ...rows.map((r) => t.row(r)), t.bottom()].join('\n');
}

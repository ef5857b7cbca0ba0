// Figures, budgets and the table `npm run bench` prints.

/** A limit a figure must stay within; `max` for costs, `min` for speed-ups. */
export interface Budget {
  readonly max?: number;
  readonly min?: number;
}

/** One measured figure, with its budget when it has one. */
export interface Figure {
  /** Section of the table: `synthesis`, `scale`, `type-check and tests`, `install`, `workload program`. */
  readonly section: string;
  readonly name: string;
  /** `null` when the figure could not be measured yet (see `note`). */
  readonly value: number | null;
  readonly unit: string;
  readonly budget?: Budget;
  /** How it was measured, or why it is missing. */
  readonly note?: string;
  /** Set when the measurement itself failed: the figure is then `FAILED`, whatever its budget. */
  readonly error?: string;
}

/** `ok` or `MISSED` against the budget, `FAILED` when it could not be measured, `pending` without a value, empty without a budget. */
export function verdict(figure: Figure): '' | 'ok' | 'MISSED' | 'pending' | 'FAILED' {
  if (figure.error !== undefined) return 'FAILED';
  if (figure.value === null) return 'pending';
  const { budget } = figure;
  if (!budget) return '';
  const withinMax = budget.max === undefined || figure.value <= budget.max;
  const withinMin = budget.min === undefined || figure.value >= budget.min;
  return withinMax && withinMin ? 'ok' : 'MISSED';
}

/** A number with as many decimals as its size deserves. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function formatValue(value: number | null, unit: string): string {
  return value === null ? '-' : `${formatNumber(value)} ${unit}`;
}

function formatBudget(figure: Figure): string {
  const { budget, unit } = figure;
  if (!budget) return '';
  if (budget.max !== undefined && budget.min !== undefined)
    return `${formatNumber(budget.min)}..${formatNumber(budget.max)} ${unit}`;
  return budget.max !== undefined
    ? `<= ${formatNumber(budget.max)} ${unit}`
    : `>= ${formatNumber(budget.min!)} ${unit}`;
}

/** The figures as a plain-text table, grouped by section, notes on the right. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.section,
    f.name,
    formatValue(f.value, f.unit),
    formatBudget(f),
    verdict(f),
    f.error ?? f.note ?? '',
  ]);
  const header = ['section', 'figure', 'value', 'budget', 'ok/MISSED', 'note'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i === 5 ? 0 : r[i].length))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 2 || i === 3 ? c.padStart(widths[i]) : i === 5 ? c : c.padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w)))];
  let section = '';
  for (const row of rows) {
    out.push(line([row[0] === section ? '' : row[0], ...row.slice(1)]));
    section = row[0];
  }
  return out.join('\n');
}

/** csv-parse's self-contained browser build (copied from the package at build time). */
export function parse(
  input: string,
  options?: { to_line?: number; relax_column_count?: boolean; skip_empty_lines?: boolean; bom?: boolean },
): string[][];

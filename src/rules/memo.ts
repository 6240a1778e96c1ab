/**
 * A pure function of a string, remembered for at most `limit` distinct inputs (the map is emptied when
 * full, and inputs over `MAX_KEY_CHARS` are computed every time, so memory stays bounded whatever a file holds). For rules whose inputs repeat (locales, time
 * zones, countries, regions, a shared switchboard number) and whose answer depends on the input alone:
 * a remembered answer is the answer the function gave, so behaviour cannot change.
 */
const MAX_KEY_CHARS = 100;

export function memoized<T>(limit: number, compute: (input: string) => T): (input: string) => T {
  const answers = new Map<string, T>();
  return (input: string): T => {
    if (input.length > MAX_KEY_CHARS) return compute(input);
    const known = answers.get(input);
    if (known !== undefined || answers.has(input)) return known as T;
    const answer = compute(input);
    if (answers.size >= limit) answers.clear();
    answers.set(input, answer);
    return answer;
  };
}

/** How many characters of a value an error message repeats: enough to recognise it, never a whole file. */
export const ECHO_MAX_CHARACTERS = 100;

/**
 * A value as an error message quotes it (JSON), cut to `max` characters with the full length said: a 5 MB field
 * gives a short message.
 */
export function echo(value: unknown, max = ECHO_MAX_CHARACTERS): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/** Text as a message repeats it, without quotes, cut to `max` characters with the full length said. */
export function excerpt(text: string, max = ECHO_MAX_CHARACTERS): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

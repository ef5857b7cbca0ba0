import { createHash } from 'node:crypto';

/** The functions of Terraform's language that synthesized stacks use, as Terraform defines them. */
const FUNCTIONS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  lower: (s) => String(s).toLowerCase(),
  join: (separator, list) => (list as unknown[]).map(String).join(String(separator)),
  sha1: (s) => createHash('sha1').update(String(s)).digest('hex'),
  substr: (s, offset, length) => String(s).substr(Number(offset), Number(length)),
};

/**
 * Evaluate one Terraform expression (what stands between `${` and `}`): string literals, numbers, lists, references
 * (`type.name.attribute`, looked up by `reference`) and the calls of `FUNCTIONS`. Anything else throws, naming it.
 */
export function evaluateExpression(
  expression: string,
  reference: (path: string) => unknown,
): unknown {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`cannot evaluate \${${expression}}: ${what} at character ${at}`);
  };
  const skip = () => {
    while (/\s/.test(expression[at] ?? '')) at++;
  };
  const expect = (char: string) => {
    skip();
    if (expression[at] !== char) fail(`expected "${char}"`);
    at++;
  };
  const value = (): unknown => {
    skip();
    const rest = expression.slice(at);
    if (rest.startsWith('"')) {
      const literal = /^"((?:[^"\\$]|\\.)*)"/.exec(rest) ?? fail('a string with an interpolation');
      at += literal[0].length;
      return JSON.parse(`"${literal[1]}"`);
    }
    if (rest.startsWith('[')) {
      at++;
      const items: unknown[] = [];
      skip();
      while (expression[at] !== ']') {
        items.push(value());
        skip();
        if (expression[at] === ',') at++;
        else if (expression[at] !== ']') fail('expected "," or "]"');
        skip();
      }
      at++;
      return items;
    }
    const number = /^-?\d+(\.\d+)?/.exec(rest);
    if (number) {
      at += number[0].length;
      return Number(number[0]);
    }
    const name = /^[A-Za-z_][\w-]*(\.[\w-]+)*/.exec(rest) ?? fail('an unknown token');
    at += name[0].length;
    skip();
    if (expression[at] !== '(') return reference(name[0]);
    const fn = FUNCTIONS[name[0]] ?? fail(`the function ${name[0]}, which the local cloud lacks`);
    at++;
    const args: unknown[] = [];
    skip();
    while (expression[at] !== ')') {
      args.push(value());
      skip();
      if (expression[at] === ',') at++;
      else if (expression[at] !== ')') fail('expected "," or ")"');
      skip();
    }
    at++;
    return fn(...args);
  };
  const result = value();
  skip();
  if (at !== expression.length) expect('end');
  return result;
}

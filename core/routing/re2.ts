/**
 * Is a regular expression valid RE2 syntax (what Envoy, and so Istio and most Gateway API
 * implementations, and Go's regexp, which Traefik uses, accept)? Checked at submission so a cohort
 * regex a proxy would reject is a 400 with its field path, not a route the proxy silently drops.
 * No RE2 engine runs here: the pattern is scanned for what RE2 lacks (lookaround, backreferences,
 * atomic groups, possessive quantifiers, escapes it does not know, counts over 1000) and the rest
 * is translated to a JavaScript (`u`) pattern and compiled, which catches structural errors
 * (unbalanced parentheses, nothing to repeat, bad ranges). Pure and workflow-safe.
 */

/** Letters RE2 accepts after a backslash (\Q…\E, \pN and \p{…} are handled on their own). */
const RE2_LETTER_ESCAPES: Record<string, string> = {
  d: '\\d',
  D: '\\D',
  s: '\\s',
  S: '\\S',
  w: '\\w',
  W: '\\W',
  b: '\\b',
  B: '\\B',
  A: '^',
  z: '$',
  n: '\\n',
  r: '\\r',
  t: '\\t',
  f: '\\f',
  v: '\\v',
  a: '\\x07',
};
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
/** Unicode general categories JavaScript accepts bare in \p{…}; other names are scripts. */
const CATEGORY = /^(?:[CLMNPSZ]|[CLMNPSZ][a-z]|Any)$/;

/** Why `pattern` is not valid RE2, or undefined when it is. */
export function re2Problem(pattern: string): string | undefined {
  try {
    const source = toJavaScript(pattern);
    new RegExp(source, 'u');
    return undefined;
  } catch (error) {
    const message = (error as Error).message.replace(/^Invalid regular expression: \/.*\/u?: /, '');
    return `is not a valid RE2 regular expression: ${message}`;
  }
}

class NotRe2 extends Error {}

function hex(char: string): string {
  return `\\u{${(char.codePointAt(0) as number).toString(16)}}`;
}

/** Translates RE2 syntax to an equivalent JavaScript `u` pattern, throwing NotRe2 for what RE2 lacks. */
function toJavaScript(pattern: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const [text, next] = escape(pattern, i, inClass);
      out += text;
      i = next;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^)?([a-z]+):\]/.exec(pattern.slice(i));
      if (posix) {
        const ranges = POSIX_CLASSES[posix[2] as string];
        if (!ranges) throw new NotRe2(`unknown POSIX class [:${posix[2]}:]`);
        if (posix[1]) throw new NotRe2('negated POSIX classes are not supported here');
        out += ranges;
        i += posix[0].length;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i += 1;
      for (const [char, text] of [
        ['^', '^'],
        [']', '\\]'],
      ] as const) {
        if (pattern[i] === char) {
          out += text;
          i += 1;
        }
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const [text, next] = groupOpening(pattern, i);
      out += text;
      i = next;
      continue;
    }
    if (c === '{') {
      const count = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (count) {
        const numbers = [count[1], count[3]].filter((n) => n !== undefined && n !== '');
        if (numbers.some((n) => Number(n) > 1000))
          throw new NotRe2(`repeat count ${count[0]} exceeds RE2's limit of 1000`);
        out += count[0];
        i += count[0].length;
        if ('+'.includes(pattern[i] ?? '')) throw new NotRe2('possessive quantifiers are not RE2');
        continue;
      }
      out += '\\{'; // RE2 takes a "{" that starts no count literally
      i += 1;
      continue;
    }
    if ('*+?'.includes(c) && pattern[i + 1] === '+')
      throw new NotRe2('possessive quantifiers are not RE2');
    if (c === '}') {
      out += '\\}';
      i += 1;
      continue;
    }
    out += c;
    i += 1;
  }
  return out;
}

/** One backslash escape at `at`: its JavaScript text and the index after it. */
function escape(pattern: string, at: number, inClass: boolean): [string, number] {
  const next = pattern[at + 1];
  if (next === undefined) throw new NotRe2('trailing backslash');
  if (next === 'Q') {
    const end = pattern.indexOf('\\E', at + 2);
    const literal = pattern.slice(at + 2, end === -1 ? undefined : end);
    return [[...literal].map(hex).join(''), end === -1 ? pattern.length : end + 2];
  }
  if (next === 'p' || next === 'P') {
    const braced = /^\{(\^)?([A-Za-z_]+)\}/.exec(pattern.slice(at + 2));
    const name = braced ? (braced[2] as string) : pattern[at + 2];
    if (!name || !/^[A-Za-z_]+$/.test(name)) throw new NotRe2('invalid Unicode class escape');
    const negate = (next === 'P') !== Boolean(braced?.[1]);
    const property = CATEGORY.test(name) ? name : `Script=${name}`;
    const length = braced ? braced[0].length : 1;
    return [`\\${negate ? 'P' : 'p'}{${property}}`, at + 2 + length];
  }
  if (next === 'x') {
    const code = /^x(\{[0-9A-Fa-f]{1,6}\}|[0-9A-Fa-f]{2})/.exec(pattern.slice(at + 1));
    if (!code) throw new NotRe2('invalid \\x escape');
    const digits = (code[1] as string).replace(/[{}]/g, '');
    return [`\\u{${digits}}`, at + 1 + code[0].length];
  }
  if (next === '0' || /[1-7]/.test(next)) {
    const octal = /^[0-7]{1,3}/.exec(pattern.slice(at + 1))?.[0] as string;
    if (next !== '0' && octal.length === 1)
      throw new NotRe2(`backreference \\${next}: RE2 has no backreferences`);
    return [`\\u{${parseInt(octal, 8).toString(16)}}`, at + 1 + octal.length];
  }
  if (/[89]/.test(next)) throw new NotRe2(`backreference \\${next}: RE2 has no backreferences`);
  if (/[A-Za-z]/.test(next)) {
    const translated = RE2_LETTER_ESCAPES[next];
    if (translated === undefined || (inClass && /[AzbB]/.test(next)))
      throw new NotRe2(`invalid escape sequence \\${next}`);
    return [translated, at + 2];
  }
  return [hex(next), at + 2]; // RE2: a backslash before punctuation is that character
}

/** A group that starts with "(?": non-capturing, flags, or a named capture; anything else is not RE2. */
function groupOpening(pattern: string, at: number): [string, number] {
  const rest = pattern.slice(at);
  const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
  if (named) return [`(?<${named[1]}>`, at + named[0].length];
  const flags = /^\(\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(rest);
  if (flags) return [flags[3] === ':' ? '(?:' : '', at + flags[0].length];
  if (/^\(\?<?[=!]/.test(rest)) throw new NotRe2('lookaround assertions are not RE2');
  if (rest.startsWith('(?>')) throw new NotRe2('atomic groups are not RE2');
  throw new NotRe2(`unsupported group syntax ${rest.slice(0, 4)}`);
}

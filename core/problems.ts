/**
 * One shape for "what is wrong with this input, and where", and the one way zod issues become it.
 * The release spec, the judge's request, the API's 400 answers and the CLI's messages all report
 * problems through this module, so the same mistake is worded the same way wherever it is found.
 * Pure and workflow-safe (zod is imported for its types only).
 */
import type { z } from 'zod';
import { formatPath } from './names.js';

/** One problem in an input: where (a dotted path such as `schedule.steps[1].weight`, `(root)` for the whole input) and what. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** The path of a problem about the input as a whole. */
export const ROOT_PATH = '(root)';

type Issue = z.core.$ZodIssue;

/**
 * The union option the input was most likely meant as: one whose fields the input does not
 * contradict (no unknown field at its top), then the one with the fewest issues.
 */
function closestOption(options: Issue[][]): Issue[] | undefined {
  const unknownAtTop = (issues: Issue[]) =>
    issues.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
  return [...options].sort(
    (a, b) => Number(unknownAtTop(a)) - Number(unknownAtTop(b)) || a.length - b.length,
  )[0];
}

function issueProblems(issues: readonly Issue[], prefix: readonly PropertyKey[]): SpecProblem[] {
  return issues.flatMap((issue): SpecProblem[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...path, key], ROOT_PATH),
        message: 'is not a known field',
      }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const option = closestOption(issue.errors);
      if (option && option.length > 0) return issueProblems(option, path);
    }
    if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      return [{ path: formatPath(path, ROOT_PATH), message: `is required (${issue.expected})` }];
    }
    return [{ path: formatPath(path, ROOT_PATH), message: issue.message }];
  });
}

/**
 * Zod's issues as problems with full paths: an unknown field becomes one problem at its own path,
 * a missing field says "is required", and a union that matched no option reports the issues of the
 * option the input was closest to (instead of zod's bare "Invalid input").
 */
export function problemsFromZod(
  error: { readonly issues: readonly Issue[] },
  prefix: readonly PropertyKey[] = [],
): SpecProblem[] {
  return issueProblems(error.issues, prefix);
}

/** "path: message", or the message alone for a problem with the whole input. */
export function problemLine(problem: SpecProblem): string {
  return problem.path === ROOT_PATH ? problem.message : `${problem.path}: ${problem.message}`;
}

/** One line per problem (see problemLine). */
export function problemLines(problems: readonly SpecProblem[]): string[] {
  return problems.map(problemLine);
}

/** One sentence for a list of problems: "the <what> has 2 problems: a: …; b: …" (the first three, then a count). */
export function summarizeProblems(problems: readonly SpecProblem[], what = 'request'): string {
  const summary = problems
    .slice(0, 3)
    .map((p) => `${p.path}: ${p.message}`)
    .join('; ');
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  return `the ${what} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${summary}${more}`;
}

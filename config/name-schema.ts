/** A zod string schema for a name rule of `config/rules.ts`, whose error names the value and the rule. */
import { z } from 'zod';
import { echo } from './echo';
import type { NameRule } from './rules';

/** A string that must satisfy `rule`: `"<value>" must be <the rule's description>` otherwise. */
export const named = (rule: NameRule) =>
  z.string().refine(rule.test, {
    error: (issue) => `${echo(issue.input)} must be ${rule.description}`,
  });

import { fieldError, type FieldError } from '../../errors/app-error.js';
import { calendarDate } from '../../rules/dates.js';
import { checkTenantPattern, PatternBudget, patternTextLimit, testTenantPattern } from '../../rules/tenant-pattern.js';
import type { AttributeType } from './attribute.schemas.js';

/** A stored definition (the key is the row's). */
export interface AttributeRule {
  type: AttributeType;
  description?: string | undefined;
  required?: boolean | undefined;
  default?: unknown;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  min?: number | undefined;
  max?: number | undefined;
  pattern?: string | undefined;
  enumValues?: string[] | undefined;
  unique?: boolean | undefined;
  readPermission?: string | undefined;
  writePermission?: string | undefined;
}

type Checked = { ok: true; value: unknown } | { ok: false; reason: string };

/** Why a text fails the definition's pattern (evaluated in linear time, see tenant-pattern.ts), or undefined. */
function patternReason(pattern: string, text: string, budget: PatternBudget): string | undefined {
  switch (testTenantPattern(pattern, text, budget)) {
    case 'match':
      return undefined;
    case 'no-match':
      return `must match ${pattern}`;
    case 'too-long':
      return `is too long to check against the pattern (a user's attributes may have about ${patternTextLimit(pattern)} characters checked against it)`;
    case 'unusable':
      return "cannot be checked: the attribute's stored pattern is not supported (backreferences, lookaround or too complex); an administrator must change it";
  }
}

function checkString(value: string, rule: AttributeRule, budget: PatternBudget): string | undefined {
  const length = [...value].length;
  if (rule.minLength !== undefined && length < rule.minLength) return `at least ${rule.minLength} characters`;
  if (rule.maxLength !== undefined && length > rule.maxLength) return `at most ${rule.maxLength} characters`;
  return rule.pattern === undefined ? undefined : patternReason(rule.pattern, value, budget);
}

/**
 * Checks one value against its definition and returns it in stored form (dates as YYYY-MM-DD).
 * @param budget pattern work allowed; share one across the values of one user (prepareAttributes does).
 */
export function checkAttributeValue(rule: AttributeRule, value: unknown, budget = new PatternBudget()): Checked {
  switch (rule.type) {
    case 'string': {
      if (typeof value !== 'string') return { ok: false, reason: 'must be a string' };
      const reason = checkString(value, rule, budget);
      return reason ? { ok: false, reason } : { ok: true, value };
    }
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: 'must be a number' };
      if (rule.type === 'integer' && !Number.isInteger(value)) return { ok: false, reason: 'must be an integer' };
      if (rule.min !== undefined && value < rule.min) return { ok: false, reason: `must be ≥ ${rule.min}` };
      if (rule.max !== undefined && value > rule.max) return { ok: false, reason: `must be ≤ ${rule.max}` };
      return { ok: true, value };
    }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, reason: 'must be true or false' };
    case 'date': {
      const date = typeof value === 'string' ? calendarDate(value) : undefined;
      return date ? { ok: true, value: date } : { ok: false, reason: 'must be a date (YYYY-MM-DD) or ISO 8601 date-time' };
    }
    case 'enum':
      return typeof value === 'string' && rule.enumValues?.includes(value)
        ? { ok: true, value }
        : { ok: false, reason: `must be one of ${rule.enumValues?.join(', ')}` };
    case 'string-list': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return { ok: false, reason: 'must be a list of strings' };
      if (rule.minLength !== undefined && value.length < rule.minLength) return { ok: false, reason: `at least ${rule.minLength} items` };
      if (rule.maxLength !== undefined && value.length > rule.maxLength) return { ok: false, reason: `at most ${rule.maxLength} items` };
      if (rule.pattern !== undefined) {
        for (const [i, item] of value.entries()) {
          // The item is named by its position, never quoted: a value can be megabytes long.
          const reason = patternReason(rule.pattern, item, budget);
          if (reason !== undefined) return { ok: false, reason: `item ${i} ${reason}` };
        }
      }
      return { ok: true, value };
    }
  }
}

/** The form in which unique values are compared: strings case-insensitively, others as JSON. */
export function uniqueKeyOf(value: unknown): string {
  return typeof value === 'string' ? value.normalize('NFKC').toLowerCase() : JSON.stringify(value);
}

/** Checks a definition for consistency: bounds, pattern, enum values, uniqueness and its own default. */
export function checkDefinition(rule: AttributeRule): FieldError[] {
  const errors: FieldError[] = [];
  if (rule.pattern !== undefined) {
    // Compiled on the linear-time engine that will evaluate it; what it cannot run is refused here.
    const problem = checkTenantPattern(rule.pattern);
    if (problem) errors.push(fieldError('/pattern', problem.code, problem.message));
  }
  if (rule.type === 'enum' && !rule.enumValues) errors.push(fieldError('/enumValues', 'FIELD_REQUIRED', 'enum attributes need enumValues'));
  if (rule.unique && (rule.type === 'boolean' || rule.type === 'string-list')) {
    errors.push(fieldError('/unique', 'FIELD_INVALID', `${rule.type} attributes cannot be unique`));
  }
  if (rule.unique && rule.default !== undefined)
    errors.push(fieldError('/default', 'FIELD_INVALID', 'A unique attribute cannot have a default'));
  if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max)
    errors.push(fieldError('/min', 'FIELD_OUT_OF_RANGE', 'min is above max'));
  if (rule.minLength !== undefined && rule.maxLength !== undefined && rule.minLength > rule.maxLength) {
    errors.push(fieldError('/minLength', 'FIELD_OUT_OF_RANGE', 'minLength is above maxLength'));
  }
  if (errors.length === 0 && rule.default !== undefined) {
    const checked = checkAttributeValue(rule, rule.default);
    if (!checked.ok) errors.push(fieldError('/default', 'ATTRIBUTE_INVALID', `The default ${checked.reason}`));
  }
  return errors;
}

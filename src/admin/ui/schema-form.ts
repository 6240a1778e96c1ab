import { ApiError, type FieldProblem, type JsonSchema, type Problem } from './api.js';
import { h, mount, notice, uid, type Child } from './dom.js';
import { plainHint } from './hints.js';

/**
 * Forms drawn from the API's own JSON schemas (read from /openapi.json), so every field the API
 * accepts appears, and the API's field errors (JSON pointers) land next to the field they name.
 */
interface Control {
  path: string;
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null;
  /** Checkbox groups have no single input; their boxes are read here. */
  boxes?: HTMLInputElement[];
  error: HTMLElement;
  read(): unknown;
}

export interface SchemaForm {
  element: HTMLElement;
  read(): Record<string, unknown>;
  showErrors(problem: Problem): void;
  clearErrors(): void;
}

export interface FormOptions {
  values?: Record<string, unknown>;
  omit?: string[];
  /** Members drawn from another schema than the request's (e.g. `attributes` from the tenant's definitions). */
  replace?: Record<string, JsonSchema>;
  /** Members shown first and open; the rest go under "More fields". */
  primary?: string[];
  /** Hints for people by top-level member name or by path (`/password/minLength`), instead of the API's descriptions. */
  hints?: Record<string, string>;
}

const OMITTED = Symbol('omitted');

export function label(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A schema without its `null` branch, and whether null was allowed. */
function unwrap(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf?.filter((b) => b.type !== 'null');
  if (branches && branches.length === 1 && branches[0])
    return { ...branches[0], description: schema.description ?? branches[0].description };
  return schema;
}

/** The allowed values of an enum written as `enum` or as TypeBox's anyOf of single-value enums. */
function choices(schema: JsonSchema): string[] | undefined {
  if (schema.enum) return schema.enum.map(String);
  if (schema.anyOf && schema.anyOf.length > 0 && schema.anyOf.every((b) => b.enum?.length === 1))
    return schema.anyOf.map((b) => String(b.enum?.[0]));
  return undefined;
}

function isType(schema: JsonSchema, type: string): boolean {
  return schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));
}

export function buildForm(schema: JsonSchema, options: FormOptions = {}): SchemaForm {
  const controls: Control[] = [];
  const summary = h('div', { class: 'form-errors', role: 'alert', tabindex: -1 });
  const hints = options.hints ?? {};

  const field = (name: string, raw: JsonSchema, required: boolean, value: unknown, path: string): HTMLElement => {
    const s = unwrap(raw);
    const id = uid('f');
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const error = h('p', { class: 'field-error', id: errorId, hidden: true });
    const hintText =
      (Object.hasOwn(hints, path) ? hints[path] : undefined) ??
      (path.lastIndexOf('/') === 0 && Object.hasOwn(hints, name) ? hints[name] : undefined) ??
      plainHint(s.description);
    const hint = hintText ? h('small', { id: hintId, class: 'hint' }, hintText) : null;
    const describedBy = [hint ? hintId : null, errorId].filter(Boolean).join(' ');
    const title = `${label(name)}${required ? ' (required)' : ''}`;
    const options = choices(s);
    const itemChoices = s.items ? choices(unwrap(s.items)) : undefined;

    if (isType(s, 'object') && s.properties) {
      const inner = Object.entries(s.properties).map(([k, v]) =>
        field(k, v, s.required?.includes(k) ?? false, (value as Record<string, unknown> | undefined)?.[k], `${path}/${k}`),
      );
      controls.push({ path, input: null, error, read: () => OMITTED });
      return h('fieldset', { class: 'group' }, h('legend', {}, title), hint, error, inner);
    }
    if (isType(s, 'array') && itemChoices) {
      const chosen = new Set(Array.isArray(value) ? value.map(String) : []);
      const boxes = itemChoices.map((c) =>
        h('input', { type: 'checkbox', value: c, checked: chosen.has(c), 'aria-describedby': describedBy }),
      );
      controls.push({
        path,
        input: null,
        boxes,
        error,
        read: () => (boxes.some((b) => b.checked) || value !== undefined ? boxes.filter((b) => b.checked).map((b) => b.value) : OMITTED),
      });
      return h(
        'fieldset',
        { class: 'choices' },
        h('legend', {}, title),
        hint,
        boxes.map((b) => h('label', { class: 'choice' }, b, ` ${b.value}`)),
        error,
      );
    }
    let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    let read: () => unknown;
    if (options) {
      const select = h(
        'select',
        { id, name, required, 'aria-describedby': describedBy },
        h('option', { value: '' }, required ? 'Choose…' : '(default)'),
        options.map((o) => h('option', { value: o, selected: value === o }, o)),
      );
      input = select;
      read = () => (select.value === '' ? OMITTED : select.value);
    } else if (isType(s, 'boolean')) {
      if (value !== undefined || required) {
        const box = h('input', { id, name, type: 'checkbox', checked: value === true, 'aria-describedby': describedBy });
        controls.push({ path, input: box, error, read: () => box.checked });
        return h('div', { class: 'field check' }, box, h('label', { for: id }, ` ${title}`), hint, error);
      }
      // Unset is not "no": the API's default applies unless the admin picks one.
      const select = h(
        'select',
        { id, name, 'aria-describedby': describedBy },
        h('option', { value: '' }, '(default)'),
        h('option', { value: 'true' }, 'Yes'),
        h('option', { value: 'false' }, 'No'),
      );
      input = select;
      read = () => (select.value === '' ? OMITTED : select.value === 'true');
    } else if (isType(s, 'integer') || isType(s, 'number')) {
      const number = h('input', {
        id,
        name,
        type: 'number',
        inputmode: 'numeric',
        required,
        min: s.minimum,
        max: s.maximum,
        step: isType(s, 'integer') ? 1 : 'any',
        value: value as number | undefined,
        'aria-describedby': describedBy,
      });
      input = number;
      read = () => (number.value === '' ? OMITTED : Number(number.value));
    } else if (isType(s, 'array') && (!s.items || isType(unwrap(s.items), 'string'))) {
      const area = h('textarea', { id, name, rows: 3, 'aria-describedby': describedBy });
      area.value = Array.isArray(value) ? value.join('\n') : '';
      input = area;
      read = () => {
        const lines = area.value
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        return lines.length === 0 && value === undefined ? OMITTED : lines;
      };
    } else if (isType(s, 'string') || s.anyOf?.some((b) => isType(b, 'string'))) {
      const type =
        name === 'password'
          ? 'password'
          : s.format === 'email' || name === 'email'
            ? 'email'
            : s.format === 'date' || /Date$|^date/.test(name)
              ? 'date'
              : 'text';
      const text = h('input', {
        id,
        name,
        type,
        required,
        maxlength: s.maxLength,
        value: typeof value === 'string' ? value : undefined,
        'aria-describedby': describedBy,
        autocomplete: type === 'password' ? 'new-password' : name === 'email' ? 'off' : undefined,
      });
      input = text;
      read = () => (text.value === '' ? (value === undefined ? OMITTED : null) : text.value);
    } else {
      // Free-form members (records, unions of objects): JSON, checked by the API like everything else.
      const area = h('textarea', { id, name, rows: 4, class: 'json', 'aria-describedby': describedBy });
      area.value = value === undefined ? '' : JSON.stringify(value, null, 2);
      input = area;
      read = () => {
        if (area.value.trim() === '') return OMITTED;
        try {
          return JSON.parse(area.value) as unknown;
        } catch {
          return area.value;
        }
      };
    }
    controls.push({ path, input, error, read });
    return h('div', { class: 'field' }, h('label', { for: id }, title), input, hint, error);
  };

  const properties = { ...(schema.properties ?? {}), ...(options.replace ?? {}) };
  const names = Object.keys(properties).filter((n) => !options.omit?.includes(n));
  const primary = options.primary ? names.filter((n) => options.primary?.includes(n)) : names;
  const rest = names.filter((n) => !primary.includes(n));
  const render = (n: string) => field(n, properties[n] as JsonSchema, schema.required?.includes(n) ?? false, options.values?.[n], `/${n}`);
  const element = h(
    'div',
    { class: 'schema-form' },
    summary,
    primary.map(render),
    rest.length > 0 ? h('details', {}, h('summary', {}, 'More fields'), rest.map(render)) : null,
  );

  const read = (): Record<string, unknown> => {
    // Field names come from the server's schema (attribute keys among them): members are defined on
    // prototype-less objects, never assigned through the prototype chain.
    const out = Object.create(null) as Record<string, unknown>;
    const define = (target: Record<string, unknown>, key: string, value: unknown) =>
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    for (const c of controls) {
      const v = c.read();
      if (v === OMITTED) continue;
      const parts = c.path.split('/').slice(1);
      let target = out;
      for (const part of parts.slice(0, -1)) {
        const existing = Object.hasOwn(target, part) ? target[part] : undefined;
        target = (existing ?? define(target, part, Object.create(null))[part]) as Record<string, unknown>;
      }
      define(target, parts.at(-1) as string, v);
    }
    return out;
  };

  const clearErrors = () => {
    summary.replaceChildren();
    for (const c of controls) {
      c.error.hidden = true;
      c.error.textContent = '';
      c.input?.removeAttribute('aria-invalid');
    }
  };

  const showErrors = (problem: Problem) => {
    clearErrors();
    const unplaced: Child[] = [];
    let first: HTMLElement | null = null;
    for (const e of problem.errors ?? []) {
      const control = closest(controls, e);
      if (!control) {
        unplaced.push(h('li', {}, `${e.path || 'Request'}: ${e.message}`));
        continue;
      }
      control.error.hidden = false;
      // One line per message: two rules broken by one value read as two sentences, not one run-on.
      control.error.append(h('span', { class: 'message' }, e.message));
      control.input?.setAttribute('aria-invalid', 'true');
      first ??= control.input ?? control.boxes?.[0] ?? null;
    }
    summary.append(h('p', {}, problem.detail || problem.title));
    if (unplaced.length > 0) summary.append(h('ul', {}, unplaced));
    if (first) first.focus();
    else summary.focus();
  };

  return { element, read, showErrors, clearErrors };
}

/** The control a pointer names, or its nearest ancestor with one (`/roles/2` → roles). */
function closest(controls: Control[], e: FieldProblem): Control | undefined {
  const parts = e.path.split('/');
  while (parts.length > 1) {
    const path = parts.join('/');
    const hit = controls.find((c) => c.path === path);
    if (hit) return hit;
    parts.pop();
  }
  return undefined;
}

/**
 * The submit handler of a schema form: clears the last errors, disables `button` while `action` runs,
 * and shows what the API refused next to its fields (any other failure in `status`).
 */
export function submitHandler(
  form: SchemaForm,
  button: HTMLButtonElement,
  status: HTMLElement,
  action: () => Promise<void>,
): (event: Event) => Promise<void> {
  return async (event) => {
    event.preventDefault();
    form.clearErrors();
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError) form.showErrors(error.problem);
      else mount(status, notice(String(error), 'error'));
    } finally {
      button.disabled = false;
    }
  };
}

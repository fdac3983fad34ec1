// Form checks with the limits of docs/API.md (src/util/limits.h). The server
// checks everything again; these only catch mistakes before a round trip.

/** @typedef {{ kind: 'int' | 'number', min: number, max?: number, exclusiveMin?: boolean }} NumRule */

/**
 * Checks one numeric field typed as text; returns the error or undefined.
 * @param {string} field
 * @param {string} text
 * @param {NumRule} rule
 * @returns {string | undefined}
 */
export function checkNumber(field, text, rule) {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) return `${field} must be a number`;
  if (rule.kind === 'int' && !Number.isInteger(n)) return `${field} must be a whole number`;
  if (rule.exclusiveMin ? n <= rule.min : n < rule.min) {
    return rule.exclusiveMin ? `${field} must be greater than ${rule.min}` : `${field} must be at least ${rule.min}`;
  }
  if (rule.max !== undefined && n > rule.max) return `${field} must be at most ${rule.max}`;
  return undefined;
}

/**
 * A collection name: 1..128 characters of [A-Za-z0-9_-].
 * @param {string} name
 * @returns {string | undefined}
 */
export function checkCollectionName(name) {
  if (name === '') return 'name is required';
  if (name.length > 128) return 'name must be at most 128 characters';
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return 'name may hold only letters, digits, _ and -';
  return undefined;
}

/**
 * A payload index field: a dotted metadata path of 1..256 bytes, no empty
 * segment, not starting with $.
 * @param {string} field
 * @returns {string | undefined}
 */
export function checkIndexField(field) {
  if (field === '') return 'field is required';
  if (new TextEncoder().encode(field).length > 256) return 'field must be at most 256 bytes';
  if (field.startsWith('$')) return 'field must not start with $';
  if (field.split('.').some((s) => s === '')) return 'field must be a dotted path without empty parts (e.g. address.city)';
  return undefined;
}

/**
 * Parses an optional filter typed as JSON: undefined when empty, else the
 * object; throws an Error saying what is wrong.
 * @param {string} text
 * @returns {Record<string, unknown> | undefined}
 */
export function parseFilterText(text) {
  if (text.trim() === '') return undefined;
  let f;
  try {
    f = JSON.parse(text);
  } catch (e) {
    throw new Error(`the filter is not valid JSON: ${/** @type {Error} */ (e).message}`);
  }
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new Error('the filter must be a JSON object, e.g. {"category": "news"}');
  return f;
}

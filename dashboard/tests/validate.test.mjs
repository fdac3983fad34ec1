// Unit tests of the form checks (pure JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNumber, checkCollectionName, checkIndexField, parseFilterText } from '../src/lib/validate.js';

test('numeric fields: whole numbers, ranges, exclusive minimum', () => {
  const dim = { kind: 'int', min: 1, max: 65536 };
  assert.equal(checkNumber('dimension', '768', dim), undefined);
  assert.equal(checkNumber('dimension', '0', dim), 'dimension must be at least 1');
  assert.equal(checkNumber('dimension', '65537', dim), 'dimension must be at most 65536');
  assert.equal(checkNumber('dimension', '1.5', dim), 'dimension must be a whole number');
  assert.equal(checkNumber('dimension', 'abc', dim), 'dimension must be a number');
  assert.equal(checkNumber('dimension', ' ', dim), 'dimension must be a number');
  const age = { kind: 'number', min: 0, exclusiveMin: true };
  assert.equal(checkNumber('max_wal_age_hours', '0.5', age), undefined);
  assert.equal(checkNumber('max_wal_age_hours', '0', age), 'max_wal_age_hours must be greater than 0');
});

test('collection names and index fields', () => {
  assert.equal(checkCollectionName('docs_v2-a'), undefined);
  assert.match(checkCollectionName(''), /required/);
  assert.match(checkCollectionName('a b'), /only letters/);
  assert.match(checkCollectionName('x'.repeat(129)), /at most 128/);
  assert.equal(checkCollectionName('x'.repeat(128)), undefined);
  assert.equal(checkIndexField('address.city'), undefined);
  assert.match(checkIndexField('a..b'), /empty parts/);
  assert.match(checkIndexField('$x'), /\$/);
  assert.match(checkIndexField('é'.repeat(129)), /256 bytes/);
});

test('filters typed as JSON', () => {
  assert.equal(parseFilterText('  '), undefined);
  assert.deepEqual(parseFilterText('{"a": {"$gt": 1}}'), { a: { $gt: 1 } });
  assert.throws(() => parseFilterText('{a: 1}'), /not valid JSON/);
  assert.throws(() => parseFilterText('[1]'), /must be a JSON object/);
  assert.throws(() => parseFilterText('null'), /must be a JSON object/);
});

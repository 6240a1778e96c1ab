import { describe, expect, it } from 'vitest';
import { withoutOneTimeSecrets } from './replay-secrets.js';

describe('withoutOneTimeSecrets', () => {
  it('should leave generated passwords out at any depth, but keep custom attributes of any name and non-JSON bodies', () => {
    const body = JSON.stringify({
      id: 'u1',
      generatedPassword: 'S3cret',
      attributes: { generatedPassword: 'mine' },
      results: [{ user: { generatedPassword: 'T0p' } }],
    });
    const stored = withoutOneTimeSecrets(body, 'application/json; charset=utf-8');
    expect(stored.omitted).toEqual(['generatedPassword']);
    expect(JSON.parse(stored.body)).toEqual({ id: 'u1', attributes: { generatedPassword: 'mine' }, results: [{ user: {} }] });
    expect(withoutOneTimeSecrets('{"id":"u2"}', 'application/json')).toEqual({ body: '{"id":"u2"}', omitted: [] });
    expect(withoutOneTimeSecrets('generatedPassword', 'text/plain')).toEqual({ body: 'generatedPassword', omitted: [] });
  });
});

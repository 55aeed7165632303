import { describe, expect, it } from 'vitest';
import { reasonForAudit, reasonForModel } from '../../src/core/data-sources/error-reason.js';

describe('source error reasons', () => {
  it('cuts the values an error quotes, keeps the object names the model needs, masks the rest', () => {
    const pg =
      'invalid input syntax for type integer: "ada.lovelace0@example.com Ada Lovelace +49 151 1234567"';
    expect(reasonForModel(pg)).toBe('invalid input syntax for type integer: "…"');
    expect(reasonForAudit(pg)).toBe('invalid input syntax for type integer: "…"');
    const duck = "Conversion Error: Could not convert string 'Ada Lovelace' to INT32";
    expect(reasonForModel(duck)).toBe('Conversion Error: Could not convert string "…" to INT32');
    expect(reasonForModel('column "emial" does not exist')).toBe('column "emial" does not exist');
    expect(reasonForModel('syntax error at or near "selec"')).toBe('syntax error at or near "selec"');
    expect(reasonForAudit('column "emial" does not exist')).toBe('column "…" does not exist');
    expect(reasonForModel('bad value ada@example.com for +49 151 1234567')).toBe(
      'bad value <email> for <phone>',
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  isCardNumber,
  maskProfiles,
  maskRows,
  maskText,
  piiKindOfColumn,
} from '../../src/core/data-sources/pii-mask.js';

describe('PII masking by column name', () => {
  it.each([
    ['email', 'email'],
    ['customer_email', 'email'],
    ['E_Mail', 'email'],
    ['contactEmail', 'email'],
    ['phone', 'phone'],
    ['mobile_number', 'phone'],
    ['msisdn', 'phone'],
    ['card_number', 'card'],
    ['cardNumber', 'card'],
    ['cc', 'card'],
    ['pan', 'card'],
    ['credit_card', 'card'],
    ['iban', 'iban'],
    ['bank_account_number', 'iban'],
    ['ssn', 'national id'],
    ['national_id', 'national id'],
    ['nin', 'national id'],
    ['passport_number', 'national id'],
    ['tax_id', 'national id'],
    ['first_name', 'name'],
    ['last_name', 'name'],
    ['full_name', 'name'],
    ['firstName', 'name'],
    ['customer_name', 'name'],
    ['surname', 'name'],
    ['address', 'address'],
    ['street', 'address'],
    ['billing_address', 'address'],
    ['address_line1', 'address'],
    ['dob', 'date of birth'],
    ['birth_date', 'date of birth'],
    ['date_of_birth', 'date of birth'],
    ['ip_address', 'ip address'],
    ['password_hash', 'secret'],
    ['api_key', 'secret'],
    ['mail', 'email'],
    ['customer_mail', 'email'],
    ['fname', 'name'],
    ['lname', 'name'],
    ['contact', 'contact'],
    ['recipient', 'contact'],
    ['zip', 'address'],
    ['zip_code', 'address'],
    ['postcode', 'address'],
    ['postal_code', 'address'],
  ])('%s is %s', (column, kind) => {
    expect(piiKindOfColumn(column)).toBe(kind);
  });

  it.each([
    'id',
    'order_id',
    'order_number',
    'amount',
    'status',
    'created_at',
    'email_verified_at',
    'is_email_verified',
    'email_domain',
    'phone_country',
    'card_type',
    'card_brand',
    'country',
    'city',
    'kind',
    'contact_id',
    'recipient_id',
    'mail_sent_at',
    'zip_file',
    'table_name',
    'event_name',
    'product_name',
    'pipeline',
    'span',
    'description',
  ])('%s is not PII', (column) => {
    expect(piiKindOfColumn(column)).toBeUndefined();
  });

  it('masks a bare 10-digit number in a phone-named column (by name; in other columns digits stay)', () => {
    const masked = maskRows({
      columns: ['phone', 'order_ref'],
      rows: [['4155550101', '4155550101']],
      truncated: false,
    });
    expect(masked.rows).toEqual([['<phone>', '4155550101']]);
  });

  it('masks a plain `name` in person-like tables and in free queries, not in other tables', () => {
    expect(piiKindOfColumn('name', 'customers')).toBe('name');
    expect(piiKindOfColumn('name', 'app_users')).toBe('name');
    expect(piiKindOfColumn('name')).toBe('name');
    expect(piiKindOfColumn('name', 'products')).toBeUndefined();
    expect(piiKindOfColumn('name', 'countries')).toBeUndefined();
  });
});

describe('PII masking by content', () => {
  it.each([
    ['ada.lovelace@example.com', '<email>'],
    ['contact: Ada <ada+news@mail.example.co.uk>', 'contact: Ada <<email>>'],
    ['+49 151 2345678', '<phone>'],
    ['+1 (415) 555-0132', '<phone>'],
    ['call (415) 555-0132 now', 'call <phone> now'],
    ['415-555-0132', '<phone>'],
    ['415.555.0132', '<phone>'],
    ['4111111111111111', '<card ****1111>'],
    ['4111 1111 1111 1111', '<card ****1111>'],
    ['4111-1111-1111-1111', '<card ****1111>'],
    ['paid with 5555 5555 5555 4444 yesterday', 'paid with <card ****4444> yesterday'],
    ['378282246310005', '<card ****0005>'],
    ['123-45-6789', '<national id>'],
    ['DE89 3704 0044 0532 0130 00', '<iban>'],
    ['GB82WEST12345698765432', '<iban>'],
    ['JG 12 34 56 C', '<national id>'],
    ['AB123456C', '<national id>'],
    ['call 06 12 34 56 78 now', 'call <phone> now'],
    ['06.12.34.56.78', '<phone>'],
    ['020 7946 0958', '<phone>'],
    ['(020) 7946 0958', '<phone>'],
    ['alice@exämple.de', '<email>'],
    ['jörg@example.com', '<email>'],
    ['from josé.garcía@correo.es', 'from <email>'],
    ['4111.1111.1111.1111', '<card ****1111>'],
  ])('%s → %s', (text, masked) => {
    expect(maskText(text)).toBe(masked);
  });

  it.each([
    'ORD-2026-000123',
    '2026-01-01T10:00:00.000Z',
    '2026-01-01 10:00:00+00',
    '1767225600000',
    '1767225600',
    '12345.67',
    '4999.99',
    '4111111111111112',
    '1234567890123456',
    '000-12-3456',
    '2026-11-30',
    '192.168.1.20',
    'v1.2.3',
    '10:15:30',
    'DE00 0000 0000 0000 0000 00',
    'SELECT 1',
    '{"path":"/p/3","ms":412}',
    'user_42',
    'about 20 minutes',
    '3.14159265358979',
    '2026 1130 0958',
    'room 01 12',
    '1234.5678.9012',
    '0 12 34 56 78',
  ])('leaves %s alone', (text) => {
    expect(maskText(text)).toBe(text);
  });

  it('checks Luhn and the card network digit', () => {
    expect(isCardNumber('4111 1111 1111 1111')).toBe(true);
    expect(isCardNumber('4111 1111 1111 1112')).toBe(false);
    // Luhn-valid but starting with 1 (ids, epoch milliseconds): not a card.
    expect(isCardNumber('1000000000009')).toBe(false);
  });
});

describe('masking rows and profiles', () => {
  it('masks PII columns whole, finds PII in other text cells, keeps nulls and everything else', () => {
    const masked = maskRows(
      {
        columns: ['id', 'full_name', 'email', 'card_number', 'note', 'amount', 'order_id', 'phone'],
        rows: [
          [
            1,
            'Ada Lovelace',
            'ada@example.com',
            '4111 1111 1111 1111',
            'reach me at ada@example.com',
            '12.50',
            '4111111111111111',
            null,
          ],
          [2, 'Alan Turing', 'alan@example.com', 'n/a', 'no note', '99.00', '2', '+44 20 7946 0958'],
        ],
        truncated: false,
      },
      'customers',
    );
    expect(masked.rows).toEqual([
      [1, '<name>', '<email>', '<card ****1111>', 'reach me at <email>', '12.50', '4111111111111111', null],
      [2, '<name>', '<email>', '<card>', 'no note', '99.00', '2', '<phone>'],
    ]);
    expect(masked.maskedColumns).toEqual(['full_name', 'email', 'card_number', 'phone']);
    expect(masked.maskedCells).toBe(1);
    expect(JSON.stringify(masked)).not.toMatch(/ada@|Lovelace|1111 1111|7946/);
  });

  it('masks min, max and top values of PII columns in a profile, never the counts', () => {
    const [email, status] = maskProfiles(
      [
        {
          column: 'email',
          type: 'text',
          rows: 10,
          nullShare: 0.1,
          distinct: 9,
          min: 'a@x.io',
          max: 'z@x.io',
          topValues: [{ value: 'a@x.io', count: 2 }],
        },
        {
          column: 'status',
          type: 'text',
          rows: 10,
          nullShare: 0,
          distinct: 2,
          min: 'paid',
          max: 'shipped',
          topValues: [{ value: 'paid', count: 6 }],
        },
      ],
      'customers',
    );
    expect(email).toEqual({
      column: 'email',
      type: 'text',
      rows: 10,
      nullShare: 0.1,
      distinct: 9,
      min: '<email>',
      max: '<email>',
      topValues: [{ value: '<email>', count: 2 }],
    });
    expect(status?.topValues).toEqual([{ value: 'paid', count: 6 }]);
  });
});

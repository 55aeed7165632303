import type { Cell, ColumnProfile, QueryRows } from './data-source.js';

/**
 * Why this file exists: the model designs with the data's shape, never with people's data. Sample rows,
 * query rows and profile values pass through here before they reach the model (or Slack): a column whose
 * name says PII is masked whole; in every other text cell, emails, phone numbers, card numbers (Luhn),
 * US SSNs, IBANs (mod 97) and UK NI numbers are replaced where they appear. Nulls stay null (null share
 * matters for design). Pure: no I/O, engine-agnostic.
 *
 * Decisions:
 * - A column named plainly `name` is masked unless the caller knows its table and the table is not
 *   person-like (products.name, countries.name stay readable). In a free query the table is unknown, so
 *   `name` is masked: a product name lost is cheaper than a person's name shown.
 * - Card numbers keep their last four digits (`<card ****1234>`), nothing else: enough to see the shape.
 * - Content checks skip id-like columns (`id`, `*_id`, `*_key`) for cards, so a Luhn-valid numeric key is
 *   not mistaken for a card; bare digit runs are never phones (order ids, epoch timestamps, amounts): a
 *   bare number is masked only in a phone-named column. National numbers count when written with their
 *   trunk 0 and spaced the way people write them (`06 12 34 56 78`, `020 7946 0958`).
 * - Emails in any script (`jörg@exämple.de`): a local part cut at its first non-ASCII letter would leak.
 * - Postcodes (`zip`, `postcode`) are masked as addresses: with a birth date they identify people.
 */

export type PiiKind =
  | 'email'
  | 'phone'
  | 'card'
  | 'national id'
  | 'iban'
  | 'name'
  | 'address'
  | 'date of birth'
  | 'ip address'
  | 'contact'
  | 'secret';

/** Column names split into lowercase words: `CustomerEmail` / `customer-email` → customer, email. */
function words(column: string): string[] {
  return column
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Words that make a PII-named column about the value's metadata, not the value (email_verified_at). */
const METADATA_WORDS = new Set([
  'at',
  'on',
  'count',
  'cnt',
  'flag',
  'verified',
  'status',
  'type',
  'sent',
  'opened',
  'bounced',
  'enabled',
  'consent',
  'optin',
  'opt',
  'domain',
  'length',
  'len',
  'brand',
  'provider',
  'country',
  'format',
  'valid',
  'is',
  'has',
  'updated',
  'changed',
  'expiry',
  'expires',
  'exp',
]);

const PERSON_TABLES =
  /(^|_)(customers?|users?|people|persons?|employees?|contacts?|members?|patients?|accounts?|leads?|subscribers?|students?|authors?|clients?|staff|owners?|profiles?|applicants?|guests?|drivers?|passengers?|buyers?|sellers?)$/;

/** The PII a column's name announces, if any. `table` (when known) decides a plain `name` column. */
export function piiKindOfColumn(column: string, table?: string): PiiKind | undefined {
  const w = words(column);
  if (w.length === 0 || w.some((word) => METADATA_WORDS.has(word))) return undefined;
  const joined = w.join('_');
  const has = (...candidates: string[]) => candidates.some((c) => w.includes(c));
  if (has('email', 'emailaddress') || joined.includes('e_mail') || /(^|_)mail$/.test(joined)) return 'email';
  if (has('phone', 'mobile', 'msisdn', 'telephone', 'tel', 'cellphone', 'fax', 'phonenumber')) return 'phone';
  if (
    has('cc', 'pan', 'ccn', 'cardnumber', 'creditcard') ||
    /(^|_)(credit_)?card(_(number|no|num|nr))?$/.test(joined)
  ) {
    return 'card';
  }
  if (has('iban', 'bankaccount') || /(^|_)(bank_)?account_(number|no|num)$/.test(joined)) return 'iban';
  if (
    has('ssn', 'nin', 'nino', 'passport', 'sin', 'tin', 'nationalid', 'taxid') ||
    /(^|_)(national|personal|tax|social_security|id|driver_?s?_licen[cs]e|licen[cs]e)_(id|number|no|num|code)$/.test(
      joined,
    ) ||
    /(^|_)social_security$/.test(joined)
  ) {
    return 'national id';
  }
  if (has('dob', 'birthdate', 'birthday', 'birth') || joined === 'date_of_birth') return 'date of birth';
  if (has('ip', 'ipaddress', 'ipv4', 'ipv6')) return 'ip address';
  if (has('address', 'street', 'addr') || /^address_line/.test(joined)) return 'address';
  // A postcode narrows a person down to a street or a few; with other columns it identifies them.
  if (/(^|_)(zip|zip_code|zipcode|postcode|post_code|postal_code|postalcode)$/.test(joined)) return 'address';
  // Whom to reach (an email, a phone or a name, nobody knows which): masked whole; `contact_id` is a key.
  if (/(^|_)(contact|contact_info|contact_details|recipient|recipients)$/.test(joined)) return 'contact';
  if (has('password', 'passwd', 'secret', 'token', 'apikey') || joined.includes('api_key')) return 'secret';
  if (
    has(
      'firstname',
      'lastname',
      'fullname',
      'surname',
      'givenname',
      'familyname',
      'username',
      'nickname',
      'fname',
      'lname',
    ) ||
    /(^|_)(first|last|full|given|family|middle|maiden|display|contact|customer|user|person|owner|employee|recipient|holder|cardholder|billing|shipping|legal)_name$/.test(
      joined,
    )
  ) {
    return 'name';
  }
  if (joined === 'name')
    return table === undefined || PERSON_TABLES.test(words(table).join('_')) ? 'name' : undefined;
  return undefined;
}

// --- by content ---------------------------------------------------------------------------------

/** Local parts and domains in any script (jörg@example.com, alice@exämple.de), not only ASCII. */
const EMAIL = /[\p{L}\p{M}\p{N}._%+-]+@[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)*\.\p{L}{2,}/gu;
/** International (+country code) numbers, and US-style (555) 123-4567 / 555-123-4567 / 555.123.4567. */
const PHONE_INTERNATIONAL = /(?<![\w+])\+\d[\d ().-]{6,18}\d(?!\w)/g;
const PHONE_US = /(?<![\w-])(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-])/g;
/**
 * National numbers written with their trunk 0: French `06 12 34 56 78` (pairs), UK `020 7946 0958` /
 * `(020) 7946 0958` (groups of 3–4). Checked to hold 10–11 digits in `maskText`.
 */
const PHONE_NATIONAL_PAIRS = /(?<![\w.+-])0\d(?:[ .-]\d{2}){4}(?![\w.-])/g;
const PHONE_NATIONAL_GROUPS = /(?<![\w.+-])(?:\(0\d{2,4}\) ?|0\d{2,4}[ -])\d{3,4}[ -]\d{3,4}(?![\w.-])/g;
/** 13–19 digits, optionally in groups separated by single spaces or dashes. */
const CARD_CANDIDATE = /(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.-])/g;
/** The same digits in groups of four separated by dots (4111.1111.1111.1111). */
const CARD_DOTTED = /(?<![\w.-])\d{4}(?:\.\d{4}){2}\.\d{1,7}(?![\w.-])/g;
const SSN = /(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/g;
const IBAN_CANDIDATE =
  /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;
const UK_NI =
  /(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card number: 13–19 digits, a card network's first digit (2–6), Luhn-valid. */
export function isCardNumber(text: string): boolean {
  const digits = text.replace(/[ .-]/g, '');
  return /^[2-6]\d{12,18}$/.test(digits) && luhnValid(digits);
}

function ibanValid(text: string): boolean {
  const compact = text.replace(/ /g, '');
  if (compact.length < 15 || compact.length > 34) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

const cardMask = (text: string) => `<card ****${text.replace(/\D/g, '').slice(-4)}>`;

/** Replaces every PII pattern found inside `text`; `cards` false for id-like columns. */
export function maskText(text: string, options: { cards?: boolean } = {}): string {
  let out = text.replace(EMAIL, '<email>');
  out = out.replace(IBAN_CANDIDATE, (m) => (ibanValid(m) ? '<iban>' : m));
  if (options.cards !== false) {
    out = out.replace(CARD_CANDIDATE, (m) => (isCardNumber(m) ? cardMask(m) : m));
    out = out.replace(CARD_DOTTED, (m) => (isCardNumber(m) ? cardMask(m) : m));
  }
  out = out.replace(SSN, '<national id>');
  out = out.replace(UK_NI, '<national id>');
  out = out.replace(PHONE_INTERNATIONAL, (m) => (m.replace(/\D/g, '').length >= 8 ? '<phone>' : m));
  out = out.replace(PHONE_US, '<phone>');
  const national = (m: string) => {
    const digits = m.replace(/\D/g, '').length;
    return digits >= 10 && digits <= 11 ? '<phone>' : m;
  };
  out = out.replace(PHONE_NATIONAL_PAIRS, national);
  out = out.replace(PHONE_NATIONAL_GROUPS, national);
  return out;
}

const ID_LIKE = /^(id|.*_id|.*_key|.*_uuid|.*_at|.*_ts)$/;

/** One cell: masked whole when its column is PII, else masked where its text holds PII. */
export function maskCell(value: Cell, kind: PiiKind | undefined, column = ''): Cell {
  if (value === null) return null;
  if (kind === 'card') return isCardNumber(String(value)) ? cardMask(String(value)) : '<card>';
  if (kind) return `<${kind}>`;
  if (typeof value !== 'string') return value;
  return maskText(value, { cards: !ID_LIKE.test(words(column).join('_')) });
}

export interface MaskedRows extends QueryRows {
  /** Columns masked whole because of their name. */
  maskedColumns: string[];
  /** Cells (in other columns) whose text had PII replaced. */
  maskedCells: number;
}

/** Masks rows of a sample (`table` known) or a query (`table` undefined: a plain `name` is masked). */
export function maskRows(result: QueryRows, table?: string): MaskedRows {
  const kinds = result.columns.map((c) => piiKindOfColumn(c, table));
  let maskedCells = 0;
  const rows = result.rows.map((row) =>
    row.map((cell, i) => {
      const masked = maskCell(cell, kinds[i], result.columns[i]);
      if (!kinds[i] && masked !== cell) maskedCells++;
      return masked;
    }),
  );
  return {
    ...result,
    rows,
    maskedColumns: result.columns.filter((_, i) => kinds[i] !== undefined),
    maskedCells,
  };
}

/** Masks a profile's min, max and top values (counts and shares are aggregates and stay). */
export function maskProfiles(profiles: ColumnProfile[], table?: string): ColumnProfile[] {
  return profiles.map((profile) => {
    const kind = piiKindOfColumn(profile.column, table);
    const mask = (value: Cell) => maskCell(value, kind, profile.column);
    const masked: ColumnProfile = {
      ...profile,
      topValues: profile.topValues.map((top) => ({ value: mask(top.value), count: top.count })),
    };
    if (profile.min !== undefined) masked.min = mask(profile.min);
    if (profile.max !== undefined) masked.max = mask(profile.max);
    return masked;
  });
}

// Bodies scanned by what they are, not only by what they say (#13). Go's
// json.NewDecoder(r.Body), Flask's get_json(force=True), Express's
// json({type: "*/*"}) read a body as JSON whatever its content-type: a text or
// form body that parses as JSON (an object or array, after any whitespace and a
// UTF-8 BOM) is scanned as JSON, rules and detectors; one that starts with '{' or
// '[' and does not parse is unscannable while rules name fields (lenient parsers
// read it as JSON). Otherwise: a text or form body that starts with '<' (XML,
// HTML) while rules name fields is unscannable (no XML scanner:
// <password>x</password> would pass the detectors); under redact.keep, so is a
// text body that is neither JSON nor a form; a text body with an
// '=' gets the query rules (a handler may parse any body with url.ParseQuery or
// parse_str), then the text detectors over the result; any other text the
// detectors. Every stage is sliced (redact/work.ts) and reads the body a bounded
// number of times.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_INVALID_JSON, REASON_UNSUPPORTED_TYPE } from "./plan";
import { JsonCodec } from "./json";
import { FormCodec } from "./form";
import { TextCodec } from "./text";
import { Tally } from "../redact/tally";
import { WORK } from "../redact/work";

/** The body was declared text (text/*): JSON, else markup, form or text. */
export const SNIFF_TEXT: u8 = 0;
/** The body was declared a form: JSON, else markup (dropped while rules name fields), else the form. */
export const SNIFF_FORM: u8 = 1;

const ST_PROBE: u8 = 0;
const ST_JSON: u8 = 1;
const ST_FORM: u8 = 2;
const ST_TEXT: u8 = 3;
const ST_DONE: u8 = 4;

function isWs(c: u8): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

/** A UTF-8 byte order mark at p (len bytes): its length (3) or 0. */
export function bomAt(p: usize, len: i32): i32 {
  return len >= 3 && load<u8>(p) == 0xef && load<u8>(p + 1) == 0xbb && load<u8>(p + 2) == 0xbf ? 3 : 0;
}

export class SniffCodec extends BodyCodec {
  private stage: u8 = ST_DONE;
  private p: usize = 0;
  private len: i32 = 0;
  private bom: i32 = 0;
  // The probe: how far it read, the first byte that is not whitespace (-1: none yet), an '=' seen.
  private probed: i32 = 0;
  private first: i32 = -1;
  private hasEquals: bool = false;
  /** What the last stage yielded, and the counts of the stages so far. */
  private result: CodecResult = new CodecResult();
  private counts: Tally = new Tally();
  private scratch: Tally = new Tally();
  /** The form stage's output, when it changed the body: the text stage reads it. */
  private formBody: ArrayBuffer | null = null;

  /**
   * @param mode SNIFF_TEXT or SNIFF_FORM
   * @param fieldRules the policy names fields (JSON or query rules, redact.keep): markup cannot be scanned for them
   * @param allowList redact.keep: text that is neither JSON nor a form has nothing to keep by name, and is not sent
   */
  constructor(private mode: u8, private json: JsonCodec, private form: FormCodec, private text: TextCodec, private fieldRules: bool, private allowList: bool = false) {
    super();
  }

  start(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.bom = bomAt(p, len);
    this.probed = this.bom;
    this.first = -1;
    this.hasEquals = false;
    this.result.reset();
    this.counts.reset();
    this.formBody = null;
    this.stage = ST_PROBE;
  }

  advance(): bool {
    if (this.stage == ST_PROBE) {
      if (!this.probe()) return false;
      this.decide();
    }
    if (this.stage == ST_JSON) {
      if (!this.json.advance()) return false;
      const r = this.result;
      r.reset();
      this.scratch.reset();
      this.json.finish(this.scratch, r);
      if (!r.failed) {
        this.counts.add(this.scratch);
        if (r.body != null && this.bom > 0) r.body = withBom(r.body!);
        this.stage = ST_DONE;
        return true;
      }
      // A body that starts like JSON and is not strict JSON is what lenient parsers read as JSON (Go's
      // Decoder and Jackson stop after the first value, Python takes NaN, Json.NET comments and single
      // quotes): while rules name fields it is not sent, rather than read as text past them.
      if (r.reason != REASON_INVALID_JSON || this.fieldRules) {
        this.stage = ST_DONE;
        return true;
      }
      // Not JSON after all: what it is otherwise.
      r.reset();
      this.afterJson();
    }
    if (this.stage == ST_FORM) {
      if (!this.form.advance()) return false;
      const r = this.result;
      r.reset();
      this.form.finish(this.counts, r);
      if (r.failed || this.mode == SNIFF_FORM) {
        this.stage = ST_DONE;
        return true;
      }
      // The detectors over the form's output, as over any text.
      this.formBody = r.body;
      const b = r.body;
      if (b != null) this.text.start(changetype<usize>(b), b.byteLength);
      else this.text.start(this.p, this.len);
      this.stage = ST_TEXT;
    }
    if (this.stage == ST_TEXT) {
      if (!this.text.advance()) return false;
      const r = this.result;
      r.reset();
      this.text.finish(this.counts, r);
      if (!r.failed && r.body == null) r.body = this.formBody;
      this.stage = ST_DONE;
    }
    return true;
  }

  finish(tally: Tally, out: CodecResult): void {
    const r = this.result;
    if (r.failed) {
      out.unscannable(r.reason);
    } else {
      tally.add(this.counts);
      out.body = r.body;
    }
    r.reset();
    this.formBody = null;
  }

  /**
   * One sliced pass: the first byte that is not whitespace, and (text) whether an '='
   * makes it possibly a form. It stops as soon as both are known.
   */
  private probe(): bool {
    const p = this.p;
    const len = this.len;
    let i = this.probed;
    let first = this.first;
    // A form body needs no '=': it is a form whatever it holds.
    let equals = this.hasEquals || this.mode == SNIFF_FORM;
    while (i < len && (first < 0 || !equals)) {
      if (WORK.spent) break;
      const stop = WORK.stop(i, len);
      const from = i;
      for (; i < stop; i++) {
        const c = load<u8>(p + <usize>i);
        if (first < 0 && !isWs(c)) first = c;
        if (c == 0x3d) equals = true;
        if (first >= 0 && equals) {
          i++;
          break;
        }
      }
      WORK.spend(i - from);
    }
    this.probed = i;
    this.first = first;
    this.hasEquals = equals;
    return i >= len || (first >= 0 && equals);
  }

  private decide(): void {
    const c = this.first;
    if (c == 0x7b || c == 0x5b) {
      this.json.start(this.p + <usize>this.bom, this.len - this.bom);
      this.stage = ST_JSON;
      return;
    }
    this.afterJson();
  }

  /** The body is not JSON: markup, a form, or text. */
  private afterJson(): void {
    // Markup (a form never starts with a raw '<': a name would escape it as %3C).
    if (this.first == 0x3c && this.fieldRules) {
      this.result.unscannable(REASON_UNSUPPORTED_TYPE);
      this.stage = ST_DONE;
      return;
    }
    if (this.hasEquals) {
      this.form.start(this.p, this.len);
      this.stage = ST_FORM;
      return;
    }
    if (this.allowList) {
      this.result.unscannable(REASON_UNSUPPORTED_TYPE);
      this.stage = ST_DONE;
      return;
    }
    this.text.start(this.p, this.len);
    this.stage = ST_TEXT;
  }
}

function withBom(body: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(body.byteLength + 3);
  const o = changetype<usize>(out);
  store<u8>(o, 0xef);
  store<u8>(o + 1, 0xbb);
  store<u8>(o + 2, 0xbf);
  memory.copy(o + 3, changetype<usize>(body), <usize>body.byteLength);
  return out;
}

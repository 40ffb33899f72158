// The codecs of one policy, by body plan kind, compiled once per configuration.
import { BodyCodec, CodecResult } from "./codec";
import { BODY_JSON, BODY_FORM, BODY_TEXT } from "./plan";
import { JsonCodec } from "./json";
import { FormCodec } from "./form";
import { TextCodec } from "./text";
import { RedactConfig } from "../policy/types";
import { ValueRewriter } from "../redact/values";
import { QueryRedactor } from "../redact/query";

export class BodyCodecs {
  json: JsonCodec;
  form: FormCodec;
  text: TextCodec;

  constructor(cfg: RedactConfig, rewriter: ValueRewriter, form: QueryRedactor) {
    const keep = cfg.keep;
    this.json = new JsonCodec(cfg.json, cfg.detectors, rewriter, keep != null ? keep.json : null);
    this.form = new FormCodec(form);
    this.text = new TextCodec(cfg.detectors, cfg.detectorHash, rewriter);
    this.json.detectorHash = cfg.detectorHash;
  }

  /** The codec for a plan kind, or null when the body is not scanned (no redaction, pass-through, unscannable). */
  forKind(kind: u8): BodyCodec | null {
    if (kind == BODY_JSON) return this.json;
    if (kind == BODY_FORM) return this.form;
    if (kind == BODY_TEXT) return this.text;
    return null;
  }
}

export { BodyCodec, CodecResult };

// The codecs of one policy, by body plan kind, compiled once per configuration.
import { BodyCodec, CodecResult } from "./codec";
import { BODY_JSON, BODY_JSON_SEQ, BODY_FORM, BODY_TEXT, BODY_GRPC, namesFields } from "./plan";
import { JsonCodec } from "./json";
import { FormCodec } from "./form";
import { TextCodec } from "./text";
import { GrpcCodec } from "./grpc";
import { ProtoRedactor } from "../proto/redact";
import { SniffCodec, SNIFF_TEXT, SNIFF_FORM } from "./sniff";
import { RedactConfig } from "../policy/types";
import { ValueRewriter } from "../redact/values";
import { QueryRedactor } from "../redact/query";

export class BodyCodecs {
  json: JsonCodec;
  /** The same, over a sequence of JSON texts (ndjson). */
  jsonSeq: JsonCodec;
  form: FormCodec;
  text: TextCodec;
  /** Text and form bodies, scanned by what they are (body/sniff.ts). */
  sniffText: SniffCodec;
  sniffForm: SniffCodec;
  /** gRPC messages, by the method's input type (body/grpc.ts). */
  grpc: GrpcCodec;

  constructor(cfg: RedactConfig, rewriter: ValueRewriter, form: QueryRedactor) {
    const keep = cfg.keep;
    const keepJson = keep != null ? keep.json : null;
    const json = new JsonCodec(cfg.json, cfg.detectors, rewriter, keepJson);
    const jsonSeq = new JsonCodec(cfg.json, cfg.detectors, rewriter, keepJson, true);
    const formCodec = new FormCodec(form);
    const text = new TextCodec(cfg.detectors, cfg.detectorHash, rewriter);
    const fields = namesFields(cfg);
    // A text or form body may be ndjson: the sequence scanner reads one JSON text as well.
    this.sniffText = new SniffCodec(SNIFF_TEXT, jsonSeq, formCodec, text, fields, keep != null);
    this.sniffForm = new SniffCodec(SNIFF_FORM, jsonSeq, formCodec, text, fields, keep != null);
    json.detectorHash = cfg.detectorHash;
    jsonSeq.detectorHash = cfg.detectorHash;
    this.json = json;
    this.jsonSeq = jsonSeq;
    this.form = formCodec;
    this.text = text;
    this.grpc = new GrpcCodec(new ProtoRedactor(cfg.json, cfg.detectors, cfg.detectorHash, rewriter, keepJson));
  }

  /** The codec for a plan kind, or null when the body is not scanned (no redaction, pass-through, unscannable). */
  forKind(kind: u8): BodyCodec | null {
    if (kind == BODY_JSON) return this.json;
    if (kind == BODY_JSON_SEQ) return this.jsonSeq;
    if (kind == BODY_FORM) return this.sniffForm;
    if (kind == BODY_TEXT) return this.sniffText;
    if (kind == BODY_GRPC) return this.grpc;
    return null;
  }
}

export { BodyCodec, CodecResult };

// A stream that does nothing: what a root without an accepted configuration hands out.
import { Context } from "@solo-io/proxy-runtime/assembly/index";

export class PassStream extends Context {}

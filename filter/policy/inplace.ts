// The "inbound" (shadow role) and "upstream" (upstream role) sections.
import { JSON } from "json-as";
import { Fields } from "./fields";
import { InPlaceConfig } from "./types";
import * as D from "./defaults";

export function parseInPlace(obj: JSON.Obj, where: string, recognize: bool, c: InPlaceConfig): string {
  const f = new Fields(obj, where);
  if (recognize) {
    const list = f.strList("recognize");
    if (f.error.length > 0) return f.error;
    if (list != null) {
      c.recognizeHostSuffix = false;
      c.recognizeTag = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i] == "host_suffix") c.recognizeHostSuffix = true;
        else if (list[i] == "tag") c.recognizeTag = true;
        else if (list[i] == "all") c.recognizeAll = true;
        else return where + ".recognize[" + i.toString() + "]: must be \"host_suffix\", \"tag\" or \"all\", got \"" + list[i] + "\"";
      }
    }
  }
  c.restoreHost = f.bool("restore_host", D.INPLACE_RESTORE_HOST);
  c.notSelectedStatus = f.uint("not_selected_status", D.INPLACE_NOT_SELECTED_STATUS, D.INPLACE_NOT_SELECTED_STATUS_MIN, D.INPLACE_NOT_SELECTED_STATUS_MAX);
  c.maxBodyBytes = f.uint("max_body_bytes", D.INPLACE_MAX_BODY_BYTES, D.INPLACE_MAX_BODY_BYTES_MIN, D.INPLACE_MAX_BODY_BYTES_MAX);
  f.finish();
  return f.error;
}

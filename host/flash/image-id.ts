// What the flasher needs to know about a file before it writes it: is it a signed offtap
// image (docs/IMAGE.md), and for which board and ABI. The signature itself is the board's
// business at boot (and `offtap image inspect`'s); the flasher refuses only what can never
// run on this board: a damaged image or one built for another board.
import { IMAGE_MAGIC, ImageFormatError, decodeImage } from "../image/index.ts";

export type ImageIdentity =
  | { format: "offtap-image"; boardId: string; abiVersion: number; problem: string | undefined }
  | { format: "raw"; boardId: undefined; abiVersion: undefined; problem: undefined };

export function identifyImage(image: Uint8Array): ImageIdentity {
  const magic =
    image.length >= 4 ? new DataView(image.buffer, image.byteOffset, 4).getUint32(0, true) : 0;
  if (magic !== IMAGE_MAGIC)
    return { format: "raw", boardId: undefined, abiVersion: undefined, problem: undefined };
  try {
    const d = decodeImage(image);
    const problem = d.hashFindings.length > 0 ? d.hashFindings.join("; ") : undefined;
    return { format: "offtap-image", boardId: d.boardId, abiVersion: d.abiVersion, problem };
  } catch (err) {
    if (!(err instanceof ImageFormatError)) throw err;
    return { format: "offtap-image", boardId: "", abiVersion: 0, problem: err.message };
  }
}

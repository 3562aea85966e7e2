export { Audio } from "./audio.js";
export { CUSTOM_TYPE_END, CUSTOM_TYPE_START, isMedia, MediaError, MediaValue } from "./base.js";
export type { FetchOptions } from "./fetch-bytes.js";
export { File, type FileFields } from "./file.js";
export { Image } from "./image.js";
export { guessMimeType, sniffImageType } from "./mime.js";

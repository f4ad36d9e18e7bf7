/** Upload limit: larger files make tokenizer training and storage slow in a browser tab. */
export const MAX_UPLOAD_BYTES = 50 * 1000 * 1000;

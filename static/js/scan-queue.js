// Scans waiting for the network, kept in localStorage so a reload, a crash or a
// dropped Wi-Fi loses nothing. Each scan carries its own nonce and original time:
// sending one twice is answered once by the server, so nothing is ever doubled.

export class ScanQueue {
  constructor(key) {
    this.key = key;
  }

  items() {
    try {
      const items = JSON.parse(localStorage.getItem(this.key) || "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  save(items) {
    localStorage.setItem(this.key, JSON.stringify(items));
  }

  add(item) {
    const items = this.items();
    if (!items.some((queued) => queued.nonce === item.nonce)) {
      items.push(item);
      this.save(items);
    }
  }

  remove(nonce) {
    this.save(this.items().filter((item) => item.nonce !== nonce));
  }

  get size() {
    return this.items().length;
  }
}

export function newNonce() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "d-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

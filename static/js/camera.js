// The device camera as a scanner: the browser's own BarcodeDetector where it
// can read QR codes, otherwise jsQR (an npm package served by this app).

function loadScript(url) {
  return new Promise((resolve, reject) => {
    if (window.jsQR) return resolve();
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("The fallback QR decoder could not be loaded."));
    document.head.append(script);
  });
}

async function makeDecoder(jsqrUrl) {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => (await detector.detect(video))[0]?.rawValue;
      }
    } catch {
      // fall through to jsQR
    }
  }
  if (!jsqrUrl) {
    throw new Error("This browser cannot read QR codes and the fallback decoder is not installed.");
  }
  await loadScript(jsqrUrl);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return undefined;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    return window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" })?.data;
  };
}

// How long the camera ignores the code it has just read. A ticket held in front of
// the lens is read several times a second, and answering it again would turn the
// green "Checked in" into an amber "Already checked in". The pause counts from the
// answer and from every later sighting, so a ticket held still is read once; shown
// again after the pause, it is answered again (and is then "already checked in").
export const REPEAT_IGNORE_MS = 3000;

export class RepeatGuard {
  constructor(ignoreMs = REPEAT_IGNORE_MS, now = () => Date.now()) {
    this.ignoreMs = ignoreMs;
    this.now = now;
    this.code = null;
    this.seenAt = -Infinity;
  }

  // Whether to answer `code` now; every call counts as a sighting.
  accept(code) {
    const now = this.now();
    const repeat = code === this.code && now - this.seenAt < this.ignoreMs;
    this.code = code;
    this.seenAt = now;
    return !repeat;
  }

  // The answer to `code` arrived: the pause starts again from now.
  answered(code) {
    if (code === this.code) this.seenAt = this.now();
  }
}

export function cameraAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// Starts the camera into `video` and calls onCode(text) for each QR code read, except
// a repeat of the last one (see RepeatGuard); onCode may return a promise of the
// answer. Returns a function that stops the camera.
export async function startCamera(video, onCode, { jsqrUrl }) {
  const decode = await makeDecoder(jsqrUrl);
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment" },
    audio: false,
  });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  let stopped = false;
  const guard = new RepeatGuard();
  const tick = async () => {
    if (stopped) return;
    if (video.readyState >= 2) {
      try {
        const code = await decode(video);
        if (code && guard.accept(code)) {
          Promise.resolve(onCode(code)).finally(() => guard.answered(code));
        }
      } catch {
        // a frame that cannot be read: try the next one
      }
    }
    setTimeout(tick, 150);
  };
  tick();
  return () => {
    stopped = true;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    video.hidden = true;
  };
}

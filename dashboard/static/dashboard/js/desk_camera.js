/* Camera scanning at the check-in desk, for a phone or tablet at a side door.

   "Scan with camera" opens the device camera (the back one first); every
   150 ms a frame is searched for a QR code, with the browser's own
   BarcodeDetector where it has one and the vendored jsQR decoder (loaded on
   first use) elsewhere. A code found is sent through the desk's own form,
   exactly as a keyboard scanner's code is, so the answer, its colour and its
   sound are the same. The same code is not sent again for 3 s (a badge held
   in front of the camera). The torch and a front/back switch appear where
   the device has them. Without a camera, or when access is refused, the
   desk says why and stays keyboard-first. */
(function () {
  "use strict";

  const SCAN_EVERY_MS = 150;
  const SAME_CODE_PAUSE_MS = 3000;

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) return resolve();
      const script = document.createElement("script");
      script.src = url;
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("the QR decoder did not load")); };
      document.head.appendChild(script);
    });
  }

  window.Dashboard.ready(function () {
    const toggle = document.getElementById("camera-toggle");
    const panel = document.getElementById("desk-camera");
    const form = document.getElementById("desk-form");
    const input = document.getElementById("desk-input");
    const picked = document.getElementById("desk-registrant");
    if (!toggle || !panel || !form || !input) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      toggle.hidden = true; // no camera API (an insecure origin, an old browser)
      return;
    }
    toggle.hidden = false;
    const video = panel.querySelector("video");
    const status = document.getElementById("camera-status");
    const switchButton = document.getElementById("camera-switch");
    const torchButton = document.getElementById("camera-torch");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let stream = null;
    let timer = null;
    let detect = null;
    let facing = "environment";
    let torchOn = false;
    let last = { code: "", at: 0 };

    function say(text) { status.textContent = text; }

    async function nativeDetector() {
      if (!("BarcodeDetector" in window)) return null;
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.indexOf("qr_code") < 0) return null;
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async function () {
          const found = await detector.detect(video);
          return found.length ? found[0].rawValue : null;
        };
      } catch (error) {
        return null;
      }
    }

    async function makeDetector() {
      const native = await nativeDetector();
      if (native) {
        panel.dataset.decoder = "native";
        return native;
      }
      await loadScript(panel.dataset.decoderUrl);
      panel.dataset.decoder = "jsqr";
      return async function () {
        const width = video.videoWidth;
        const height = video.videoHeight;
        if (!width || !height) return null;
        canvas.width = width;
        canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        const image = context.getImageData(0, 0, width, height);
        const result = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
        return result ? result.data : null;
      };
    }

    function send(code) {
      const now = Date.now();
      if (code === last.code && now - last.at < SAME_CODE_PAUSE_MS) return;
      last = { code: code, at: now };
      input.value = code.trim().slice(0, 200);
      picked.value = "";
      form.requestSubmit();
    }

    async function tick() {
      if (!stream) return;
      // One scan at a time: the next frame is read once the answer is in.
      if (!form.classList.contains("htmx-request")) {
        try {
          const code = await detect();
          if (code) send(code);
        } catch (error) { /* a frame that could not be read; try the next */ }
      }
      if (stream) timer = window.setTimeout(tick, SCAN_EVERY_MS);
    }

    async function setUpTorch() {
      const track = stream.getVideoTracks()[0];
      const capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
      torchButton.hidden = !capabilities.torch;
      torchOn = false;
      torchButton.setAttribute("aria-pressed", "false");
      const cameras = (await navigator.mediaDevices.enumerateDevices())
        .filter(function (device) { return device.kind === "videoinput"; });
      switchButton.hidden = cameras.length < 2;
    }

    async function start() {
      say("Starting the camera…");
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } },
          audio: false,
        });
      } catch (error) {
        stream = null;
        const why = error && error.name === "NotAllowedError"
          ? "camera access was refused"
          : "no camera could be opened";
        say("Camera scanning is off: " + why + ". Scan with a keyboard scanner or type a name.");
        input.focus();
        return;
      }
      video.srcObject = stream;
      panel.hidden = false;
      toggle.textContent = "Stop camera";
      toggle.setAttribute("aria-pressed", "true");
      try {
        await video.play();
        detect = detect || await makeDetector();
      } catch (error) {
        stop();
        say("Camera scanning is off: " + error.message + ". Scan with a keyboard scanner or type a name.");
        return;
      }
      await setUpTorch();
      say("Hold a badge's QR code in front of the camera.");
      timer = window.setTimeout(tick, SCAN_EVERY_MS);
    }

    function stop() {
      window.clearTimeout(timer);
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.srcObject = null;
      panel.hidden = true;
      toggle.textContent = "Scan with camera";
      toggle.setAttribute("aria-pressed", "false");
      input.focus();
    }

    toggle.addEventListener("click", function () {
      if (stream) stop();
      else start();
    });
    switchButton.addEventListener("click", function () {
      facing = facing === "environment" ? "user" : "environment";
      stop();
      start();
    });
    torchButton.addEventListener("click", async function () {
      const track = stream && stream.getVideoTracks()[0];
      if (!track) return;
      torchOn = !torchOn;
      try {
        await track.applyConstraints({ advanced: [{ torch: torchOn }] });
        torchButton.setAttribute("aria-pressed", torchOn ? "true" : "false");
      } catch (error) {
        torchOn = false;
        torchButton.hidden = true;
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden && stream) stop(); // release the camera for other apps
    });
  });
})();

/* The report form, improved: a map picker and the phone's location, local checks with the
   server's Vietnamese messages, and sending through POST /api/v1/reports without a reload (the
   chosen files stay when something must be fixed). Without this script the same form posts to
   /portal and the server answers with the same errors next to the fields.

   Idempotency: one key per attempt, made when the attempt is first sent and reused when it is
   sent again after a lost answer, a 409 or a 5xx; dropped after a 201 or a refusal (4xx), since a
   refused request created nothing. Cookies are never sent (credentials: "omit"): a citizen has
   no session, and a staff member's session must not ride along. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.fetch || !window.FormData) { return; }

  var SLOTS = { lat: "place", lon: "place", media: "photos", body: "form", channel: "form", "Idempotency-Key": "form" };
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var MOBILE = /^0(3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d)\d{7}$/;
  var LANDLINE = /^02\d{9}$/;
  var maxPhotos = Number(form.getAttribute("data-max-photos"));
  var photoMb = Number(form.getAttribute("data-photo-mb"));
  var videoMb = Number(form.getAttribute("data-video-mb"));
  var minDescription = Number(form.getAttribute("data-min-description"));
  var field = function (id) { return document.getElementById(id); };
  var lat = field("lat"), lon = field("lon"), address = field("address");
  var placeLabel = field("place-label"), send = field("send"), status = field("send-status");
  var attemptKey = null, sending = false, autoAddress = null, marker = null, base = null;

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (n) { n.hidden = false; });
  form.classList.add("enhanced");
  var DATE = /^(?:(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})|(\d{2})(\d{2})(\d{4}))$/;
  var CLOCK = /^(?:(\d{1,2})[:hg.](\d{2})|(\d{2})(\d{2}))$/i;

  function uuid4() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- errors next to the fields ------------------------------------------------------------
  function inputsOf(slot) {
    if (slot === "place") { return [lat, lon]; }
    if (slot === "incident_time") { return [field("incident_date"), field("incident_clock")]; }
    var input = field(slot);
    return input ? [input] : [];
  }

  function showError(name, message) {
    var slot = SLOTS[name] || name;
    var box = field("err-" + slot) || field("err-form");
    box.textContent = message;
    box.hidden = false;
    inputsOf(slot).forEach(function (i) { i.setAttribute("aria-invalid", "true"); });
    return inputsOf(slot)[0] || box;
  }

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".err"), function (e) { e.hidden = true; e.textContent = ""; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (e) { e.removeAttribute("aria-invalid"); });
    var summary = form.querySelector(".err-summary");
    if (summary) { summary.hidden = true; }
  }

  function focusFirst(target) {
    if (!target) { return; }
    target.scrollIntoView({ block: "center" });
    if (target.focus) { target.focus({ preventScroll: true }); }
  }

  // --- files ----------------------------------------------------------------------------------
  function checkFiles() {
    var problems = [];
    var photos = Array.prototype.slice.call(field("photos").files || []);
    var videos = Array.prototype.slice.call(field("videos").files || []);
    if (photos.length > maxPhotos) { problems.push(["photos", "Tối đa " + maxPhotos + " ảnh cho một phản ánh."]); }
    photos.forEach(function (f) {
      if (PHOTO_TYPES.indexOf(f.type) < 0) { problems.push(["photos", "Ảnh phải là tệp JPEG, PNG hoặc WebP (" + f.name + ")."]); }
      else if (f.size > photoMb * 1048576) { problems.push(["photos", "Ảnh quá lớn: mỗi ảnh tối đa " + photoMb + " MB (" + f.name + ")."]); }
    });
    if (videos.length > 1) { problems.push(["videos", "Tối đa 1 video cho một phản ánh."]); }
    videos.forEach(function (f) {
      if (f.size > videoMb * 1048576) { problems.push(["videos", "Video quá lớn: mỗi video tối đa " + videoMb + " MB."]); }
    });
    return problems;
  }

  function pickStatus(name, none, some) {
    var input = field(name), files = input.files || [];
    field(name + "-status").textContent = files.length ? some(files) : none;
  }
  field("videos").addEventListener("change", function () {
    pickStatus("videos", "Chưa chọn video", function (f) { return f[0].name; });
  });

  field("photos").addEventListener("change", function () {
    pickStatus("photos", "Chưa chọn ảnh", function (f) { return "Đã chọn " + f.length + " ảnh"; });
    var box = field("photo-previews");
    while (box.firstChild) { URL.revokeObjectURL(box.firstChild.src); box.removeChild(box.firstChild); }
    var error = field("err-photos");
    error.hidden = true;
    this.removeAttribute("aria-invalid");
    checkFiles().forEach(function (p) { if (p[0] === "photos") { showError(p[0], p[1]); } });
    Array.prototype.slice.call(this.files || [], 0, maxPhotos).forEach(function (f, i) {
      if (PHOTO_TYPES.indexOf(f.type) < 0) { return; }
      var img = document.createElement("img");
      img.alt = "Ảnh đã chọn " + (i + 1);
      img.src = URL.createObjectURL(f);
      box.appendChild(img);
    });
  });

  // --- the place ------------------------------------------------------------------------------
  function number(value) { return Number(String(value).trim().replace(",", ".")); }

  function describe(la, lo) {
    fetch(form.getAttribute("data-place") + "?lat=" + la + "&lon=" + lo, { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (place) {
        var error = field("err-place");
        if (!place.inside) {
          placeLabel.textContent = "";
          showError("lat", place.message || "Vị trí nằm ngoài tỉnh Thái Nguyên.");
          return;
        }
        error.hidden = true;
        lat.removeAttribute("aria-invalid"); lon.removeAttribute("aria-invalid");
        placeLabel.textContent = "Vị trí đã chọn: " + place.label;
        if (!address.value.trim() || address.value === autoAddress) {
          address.value = autoAddress = place.label;
        }
      })
      .catch(function () { placeLabel.textContent = ""; });
  }

  function setPoint(la, lo, zoom) {
    if (!isFinite(la) || !isFinite(lo)) { return; }
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (base) {
      if (marker) { marker.setLatLng([la, lo]); }
      else { marker = window.L.marker([la, lo], { keyboard: false, title: "Vị trí sự việc" }).addTo(base.map); }
      if (zoom) { base.map.setView([la, lo], zoom, { animate: false }); }
    }
    describe(la, lo);
  }

  if (window.IOCMap) {
    base = window.IOCMap.baseMap(field("map"));
    if (base) {
      base.map.on("click", function (e) {  // a first tap far out also zooms in, to refine the spot
        setPoint(e.latlng.lat, e.latlng.lng, base.map.getZoom() < 10 ? 11 : null);
      });
      if (lat.value && lon.value) { setPoint(number(lat.value), number(lon.value), 11); }
    }
  }
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () {
      if (lat.value.trim() && lon.value.trim()) { setPoint(number(lat.value), number(lon.value), 11); }
    });
  });

  var locateButton = field("locate-me");
  if (navigator.geolocation) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", function () {
      var label = locateButton.textContent;
      locateButton.disabled = true;
      locateButton.textContent = "Đang lấy vị trí…";
      navigator.geolocation.getCurrentPosition(function (position) {
        locateButton.disabled = false;
        locateButton.textContent = label;
        setPoint(position.coords.latitude, position.coords.longitude, 11);
      }, function (error) {
        locateButton.disabled = false;
        locateButton.textContent = label;
        var messages = {
          1: "Bạn chưa cho phép lấy vị trí. Hãy cho phép trong cài đặt trình duyệt, hoặc chạm vào bản đồ để chọn.",
          2: "Không xác định được vị trí hiện tại. Hãy chạm vào bản đồ để chọn.",
          3: "Lấy vị trí quá lâu. Hãy thử lại hoặc chạm vào bản đồ để chọn."
        };
        showError("lat", messages[error.code] || messages[2]);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // --- checks before sending (the server checks again) ------------------------------------------
  function two(n) { return (n < 10 ? "0" : "") + n; }

  function incidentIso() {  // dd/mm/yyyy + HH:MM (Vietnam's time) -> "yyyy-mm-ddTHH:MM"; "" if empty; null if bad
    var day = field("incident_date").value.trim(), clock = field("incident_clock").value.trim();
    if (!day && !clock) { return ""; }
    var d = DATE.exec(day || "x"), c = CLOCK.exec(clock || "00:00");
    if (!d || !c) { return null; }
    d = d.slice(1).filter(Boolean).map(Number); c = c.slice(1).filter(Boolean).map(Number);
    var check = new Date(Date.UTC(d[2], d[1] - 1, d[0], c[0], c[1]));
    if (check.getUTCDate() !== d[0] || check.getUTCMonth() !== d[1] - 1 || c[0] > 23 || c[1] > 59) { return null; }
    return d[2] + "-" + two(d[1]) + "-" + two(d[0]) + "T" + two(c[0]) + ":" + two(c[1]);
  }

  function localProblems() {
    var problems = [];
    var description = field("description").value.trim();
    if (!description) { problems.push(["description", "Vui lòng nhập nội dung phản ánh."]); }
    else if (description.length < minDescription) { problems.push(["description", "Nội dung quá ngắn (cần ít nhất " + minDescription + " ký tự)."]); }
    if (incidentIso() === null) {
      problems.push(["incident_time", "Ngày giờ xảy ra phải theo dạng ngày/tháng/năm và giờ:phút, ví dụ 29/11/2026 và 08:15."]);
    }
    if (!lat.value.trim() || !lon.value.trim()) { problems.push(["lat", "Vui lòng chọn vị trí trên bản đồ."]); }
    else if (!isFinite(number(lat.value)) || !isFinite(number(lon.value))) { problems.push(["lat", "Tọa độ phải là số."]); }
    if (!field("name").value.trim()) { problems.push(["name", "Vui lòng nhập họ và tên người phản ánh (Điều 5 khoản 3)."]); }
    var phone = field("phone").value.trim().replace(/[\s.\-()]/g, "").replace(/^\+84/, "0");
    if (!phone) { problems.push(["phone", "Vui lòng nhập số điện thoại (Điều 5 khoản 3)."]); }
    else if (!MOBILE.test(phone) && !LANDLINE.test(phone)) { problems.push(["phone", "Số điện thoại không đúng định dạng số điện thoại Việt Nam."]); }
    var email = field("email").value.trim();
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) { problems.push(["email", "Địa chỉ thư điện tử không hợp lệ."]); }
    if (!field("consent").checked) {
      problems.push(["consent", "Cần đồng ý cho phép xử lý dữ liệu cá nhân để gửi phản ánh (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15)."]);
    }
    return problems.concat(checkFiles());
  }

  // --- sending --------------------------------------------------------------------------------
  function body() {
    var data = new FormData(form);
    data.delete("idempotency_key");
    data.delete("incident_date");
    data.delete("incident_clock");
    if (incidentIso()) { data.set("incident_time", incidentIso()); }
    ["photos", "videos"].forEach(function (name) {
      var files = data.getAll(name).filter(function (f) { return f && f.name && f.size > 0; });
      data.delete(name);
      files.forEach(function (f) { data.append(name, f, f.name); });
    });
    data.set("lat", String(number(lat.value)));
    data.set("lon", String(number(lon.value)));
    data.set("confidential", field("confidential").checked ? "true" : "false");
    data.set("consent", field("consent").checked ? "true" : "false");
    data.set("channel", "portal");
    return data;
  }

  function localTime(iso) {  // the API answers in Vietnam's time: "2026-11-30T08:15:00.123+07:00"
    return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4) + " " + iso.slice(11, 16);
  }

  function done(receipt) {
    field("compose").hidden = true;
    field("sent-code").textContent = receipt.code;
    field("sent-at").textContent = localTime(receipt.submitted_at);
    field("sent-track").href = form.getAttribute("data-track") + "?code=" + encodeURIComponent(receipt.code);
    var sent = field("sent");
    sent.hidden = false;
    window.scrollTo(0, 0);
    sent.focus();
  }

  function busy(on) {
    sending = on;
    send.disabled = on;
    send.textContent = on ? "Đang gửi…" : "Gửi phản ánh";
    if (on) { status.textContent = "Đang gửi phản ánh, vui lòng chờ (ảnh, video lớn có thể mất vài phút)."; }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    clearErrors();
    var problems = localProblems();
    if (problems.length) {
      var first = null;
      problems.forEach(function (p) { var target = showError(p[0], p[1]); first = first || target; });
      status.textContent = "Phản ánh chưa gửi được: vui lòng sửa các mục được đánh dấu.";
      focusFirst(first);
      return;
    }
    attemptKey = attemptKey || uuid4();
    busy(true);
    fetch(form.getAttribute("data-api"), {
      method: "POST", body: body(), credentials: "omit",
      headers: { "Idempotency-Key": attemptKey, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        busy(false);
        if (response.status === 201) { attemptKey = null; done(answer); return; }
        if (response.status === 429) {
          var wait = response.headers.get("Retry-After") || "60";
          focusFirst(showError("form", "Bạn đã gửi quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau " + wait + " giây."));
          return;
        }
        if (response.status === 409 || response.status >= 500) {  // keep the key: a retry is the same attempt
          focusFirst(showError("form", (answer.message || "Hệ thống đang bận.") + " Bấm Gửi phản ánh để thử lại; phản ánh sẽ không bị gửi trùng."));
          return;
        }
        attemptKey = null;  // refused: nothing was created under this key
        if (response.status === 413 && !answer.field) {
          focusFirst(showError("photos", "Tổng dung lượng ảnh, video quá lớn; hãy gửi ít ảnh hơn hoặc video ngắn hơn."));
          return;
        }
        status.textContent = "Phản ánh chưa gửi được: vui lòng sửa mục được đánh dấu.";
        focusFirst(showError(answer.field || "form", answer.message || "Dữ liệu chưa hợp lệ."));
      });
    }).catch(function () {
      busy(false);  // no answer: maybe sent, maybe not; the same key makes the retry safe
      focusFirst(showError("form", "Chưa gửi được do mất kết nối. Kiểm tra mạng rồi bấm Gửi phản ánh để thử lại; phản ánh sẽ không bị gửi trùng."));
    });
  });
})();

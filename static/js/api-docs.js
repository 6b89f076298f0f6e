// "Send request" on the API docs page: sends the example request and shows the JSON answer.
document.querySelectorAll("form.api-try").forEach(function (form) {
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var path = form.dataset.path;
    var param = form.querySelector(".api-param");
    if (param) path = path.replace(/\{[^}]+\}/, encodeURIComponent(param.value));
    var body = form.querySelector(".api-body");
    var options = { method: form.dataset.method, headers: {} };
    if (body) {
      options.body = body.value;
      options.headers["Content-Type"] = "application/json";
    }
    var output = form.querySelector(".api-response");
    output.classList.remove("api-response--empty");
    output.textContent = "Sending…";
    try {
      var response = await fetch(path, options);
      var text = await response.text();
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: show as is */ }
      output.textContent = response.status + " " + response.statusText + "\n" + text;
    } catch (error) {
      output.textContent = "Request failed: " + error;
    }
  });
});
